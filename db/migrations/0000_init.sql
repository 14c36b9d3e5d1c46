CREATE TABLE `connections` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`base_url` text,
	`token_ciphertext` text NOT NULL,
	`token_hash` text NOT NULL,
	`token_hint` text NOT NULL,
	`bot_name` text,
	`workspace_name` text,
	`created_at` integer NOT NULL,
	`checked_at` integer
);
--> statement-breakpoint
CREATE TABLE `events` (
	`global_position` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_id` text NOT NULL,
	`stream_id` text NOT NULL,
	`stream_version` integer NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`metadata` text NOT NULL,
	`recorded_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_stream_version_uq` ON `events` (`stream_id`,`stream_version`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_event_id_uq` ON `events` (`event_id`);--> statement-breakpoint
CREATE TABLE `export_files` (
	`export_id` text NOT NULL,
	`path` text NOT NULL,
	`bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`source_id` text NOT NULL,
	PRIMARY KEY(`export_id`, `path`)
);
--> statement-breakpoint
CREATE TABLE `export_items` (
	`export_id` text NOT NULL,
	`item_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`title` text NOT NULL,
	`parent_id` text,
	`dir` text,
	`error` text,
	`seq` integer NOT NULL,
	PRIMARY KEY(`export_id`, `item_id`)
);
--> statement-breakpoint
CREATE INDEX `export_items_queue_idx` ON `export_items` (`export_id`,`status`,`seq`);--> statement-breakpoint
CREATE TABLE `export_jobs` (
	`export_id` text PRIMARY KEY NOT NULL,
	`connection_id` text NOT NULL,
	`status` text NOT NULL,
	`lease_owner` text,
	`lease_expires_at` integer,
	`attempt` integer DEFAULT 0 NOT NULL,
	`run_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `export_jobs_status_idx` ON `export_jobs` (`status`,`run_at`);--> statement-breakpoint
CREATE TABLE `exports` (
	`id` text PRIMARY KEY NOT NULL,
	`connection_id` text NOT NULL,
	`status` text NOT NULL,
	`phase` text NOT NULL,
	`formats` text NOT NULL,
	`out_dir` text NOT NULL,
	`pages_discovered` integer DEFAULT 0 NOT NULL,
	`pages_done` integer DEFAULT 0 NOT NULL,
	`pages_failed` integer DEFAULT 0 NOT NULL,
	`files_written` integer DEFAULT 0 NOT NULL,
	`bytes_written` integer DEFAULT 0 NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`rate_limited` integer DEFAULT 0 NOT NULL,
	`retries` integer DEFAULT 0 NOT NULL,
	`attempt` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`requested_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`stream_version` integer NOT NULL,
	`last_position` integer NOT NULL,
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `exports_out_dir_idx` ON `exports` (`out_dir`);--> statement-breakpoint
CREATE INDEX `exports_status_idx` ON `exports` (`status`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);

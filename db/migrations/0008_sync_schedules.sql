CREATE TABLE `schedules` (
	`connection_id` text PRIMARY KEY NOT NULL,
	`cron` text NOT NULL,
	`timezone` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`formats` text NOT NULL,
	`options` text DEFAULT '{}' NOT NULL,
	`keep_last` integer,
	`keep_hourly` integer,
	`keep_daily` integer,
	`keep_weekly` integer,
	`keep_monthly` integer,
	`keep_yearly` integer,
	`keep_within` text,
	`last_due_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text,
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `export_items` ADD `last_edited_time` text;--> statement-breakpoint
ALTER TABLE `export_items` ADD `read_at` integer;--> statement-breakpoint
ALTER TABLE `exports` ADD `mode` text DEFAULT 'full' NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `baseline_export_id` text;--> statement-breakpoint
ALTER TABLE `exports` ADD `trigger` text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `pinned` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `changes` text;--> statement-breakpoint
CREATE INDEX `exports_connection_idx` ON `exports` (`connection_id`,`requested_at`);
CREATE TABLE `export_issues` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`export_id` text NOT NULL,
	`item_id` text NOT NULL,
	`kind` text NOT NULL,
	`source_id` text NOT NULL,
	`message` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `export_issues_uq` ON `export_issues` (`export_id`,`item_id`,`kind`,`source_id`);--> statement-breakpoint
ALTER TABLE `export_items` ADD `stem` text;--> statement-breakpoint
ALTER TABLE `export_items` ADD `unresolved_links` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `options` text DEFAULT '{}' NOT NULL;
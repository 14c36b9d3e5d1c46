ALTER TABLE `exports` ADD `status_reason` text;--> statement-breakpoint
ALTER TABLE `exports` ADD `pages_exported` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `databases_exported` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `skipped` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `max_attempts` integer;--> statement-breakpoint
ALTER TABLE `exports` ADD `retry_at` integer;--> statement-breakpoint
ALTER TABLE `exports` ADD `active_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `running_since` integer;--> statement-breakpoint
ALTER TABLE `exports` ADD `retrying_pages` text;--> statement-breakpoint
ALTER TABLE `exports` ADD `retried_pages` text;--> statement-breakpoint
-- Rows of exports recorded before: the counts as now defined (linked databases skipped, files without report.json)…
UPDATE `exports` SET
  `pages_exported` = (SELECT count(*) FROM `export_items` i WHERE i.`export_id` = `exports`.`id` AND i.`kind` = 'page' AND i.`status` = 'done'),
  `skipped` = (SELECT count(*) FROM `export_issues` s WHERE s.`export_id` = `exports`.`id` AND s.`kind` = 'linked_database'),
  `files_written` = (SELECT count(*) FROM `export_files` f WHERE f.`export_id` = `exports`.`id` AND f.`source_id` <> `exports`.`id`),
  `bytes_written` = (SELECT coalesce(sum(f.`bytes`), 0) FROM `export_files` f WHERE f.`export_id` = `exports`.`id` AND f.`source_id` <> `exports`.`id`);--> statement-breakpoint
UPDATE `exports` SET `databases_exported` = max(0,
  (SELECT count(*) FROM `export_items` i WHERE i.`export_id` = `exports`.`id` AND i.`kind` = 'database' AND i.`status` = 'done') - `skipped`);--> statement-breakpoint
-- …one attempt each (older code never retried by itself; its count was the runners' claims)…
UPDATE `exports` SET `attempt` = min(`attempt`, 1);--> statement-breakpoint
-- …the running time, as well as it can be known: until the last event, or running since it started…
UPDATE `exports` SET `running_since` = `started_at` WHERE `status` = 'running';--> statement-breakpoint
UPDATE `exports` SET `active_ms` = max(0, coalesce(`finished_at`,
  (SELECT max(e.`recorded_at`) FROM `events` e WHERE e.`stream_id` = 'export-' || `exports`.`id`)) - `started_at`)
  WHERE `status` <> 'running' AND `started_at` IS NOT NULL;--> statement-breakpoint
-- …and a cancel or a pause someone chose as the reason of the status, not as an error.
UPDATE `exports` SET `status_reason` = `last_error`, `last_error` = NULL WHERE `status` = 'cancelled';--> statement-breakpoint
UPDATE `exports` SET `status_reason` = `last_error`,
  `last_error` = CASE WHEN (SELECT json_extract(e.`data`, '$.cause') FROM `events` e
    WHERE e.`stream_id` = 'export-' || `exports`.`id` AND e.`type` = 'ExportPaused' ORDER BY e.`stream_version` DESC LIMIT 1) = 'user'
    THEN NULL ELSE `last_error` END
  WHERE `status` = 'paused';

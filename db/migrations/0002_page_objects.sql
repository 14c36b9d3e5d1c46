CREATE TABLE `export_page_objects` (
	`export_id` text NOT NULL,
	`page_id` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`export_id`, `page_id`)
);

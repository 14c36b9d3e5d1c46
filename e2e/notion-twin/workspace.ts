/**
 * The twin's generated workspace: a deterministic tree of pages, databases (one or two data
 * sources each), rows and linked database views, derived from a seed.
 *
 * Only compact specs are stored (one small record per page and database). Page bodies, property
 * values and response objects are derived on demand from the seed, so a 10,000-page workspace costs
 * a few megabytes. Ids are reversible (see ids.ts): a block id names its page and position without
 * an index.
 */
import { type Attachment, listAttachments } from './attachments';
import { compactId, hashInts, IdCodec, IdKind, Rng } from './ids';
import { CoverType, IconType } from './kinds';
import { pageBody } from './page-content';
import { editableProperty, findProperty, type PropDef, schemaOf } from './properties';
import { notionUrl } from './rich-text';
import { MINUTE, minuteIso } from './time';
import {
  CUSTOM_EMOJI_NAMES,
  DATABASE_TITLES,
  EMOJIS,
  GUEST_NAMES,
  PERSON_NAMES,
  randomTitle,
  SIBLING_TITLES,
  TRICKY_TITLES,
} from './words';

export type { Attachment } from './attachments';
export { CoverType, IconType } from './kinds';
export { databaseIso, minuteIso } from './time';

export interface WorkspaceOptions {
  /** PRNG seed; same seed → same workspace, ids included. Default 1. */
  seed?: number;
  /** Ordinary (non-row) shared pages. Default 50. */
  pages?: number;
  /** Databases. Default 3. */
  databases?: number;
  /** Rows per data source. Default 20 (the first database gets more when `manyRelationRefs` needs them). */
  rowsPerDatabase?: number;
  /** Maximum nesting depth of pages below a root page (roots are depth 0). Default 3. */
  depth?: number;
  /** Top-level content blocks of an ordinary page. Default 12. */
  blocksPerPage?: number;
  /** Top-level content blocks of a database row. Default 3. */
  blocksPerRow?: number;
  /** Pages with `largePageBlocks` top-level blocks. Default 1. */
  largePages?: number;
  /** Top-level blocks of a large page (> 100 forces pagination). Default 250. */
  largePageBlocks?: number;
  /** Child pages listed as `child_page` blocks in a shared parent that answer 404. Default 0. */
  unsharedPages?: number;
  /**
   * References in the first row's `Related` relation (the first database relates to itself), so a
   * client must page through `pages.properties.retrieve`. Must be > 25 to matter; 0 disables. Default 30.
   */
  manyRelationRefs?: number;
  /**
   * People and person mentions on the first database's second row ("crowded row"): its `Owner`
   * people, its `Notes` rich text and its title hold this many references, more than the 25 a page
   * object shows. At most the number of users (32); 0 disables. Default 30.
   */
  manyMentionRefs?: number;
  /**
   * Linked database views in the "Block gallery": `child_database` blocks whose database the API
   * refuses (`databases.retrieve` → 400 validation_error). Not part of `allDatabases()`. Default 1.
   */
  linkedDatabases?: number;
  /** The last N databases have a second data source ("Milestones", its own schema and rows). Default 1. */
  multiSourceDatabases?: number;
  /**
   * Pages already in Notion's trash: retrieve answers them with `in_trash: true`, search returns them
   * flagged (Notion's index lags), their parent no longer lists them. Default 0.
   */
  trashedPages?: number;
}

export type ResolvedWorkspaceOptions = Required<WorkspaceOptions>;

export const DEFAULT_WORKSPACE_OPTIONS: ResolvedWorkspaceOptions = {
  seed: 1,
  pages: 50,
  databases: 3,
  rowsPerDatabase: 20,
  depth: 3,
  blocksPerPage: 12,
  blocksPerRow: 3,
  largePages: 1,
  largePageBlocks: 250,
  unsharedPages: 0,
  manyRelationRefs: 30,
  manyMentionRefs: 30,
  linkedDatabases: 1,
  multiSourceDatabases: 1,
  trashedPages: 0,
};

/** Where a page hangs (internal, index-based). */
export type PageParentSpec =
  | { type: 'workspace' }
  | { type: 'page_id'; page: number }
  | { type: 'data_source_id'; database: number; source: number };

/** Compact record of one page (internal). */
export interface PageSpec {
  index: number;
  id: string;
  title: string;
  kind: 'page' | 'row';
  shared: boolean;
  parent: PageParentSpec;
  depth: number;
  /** Position within its data source (rows only), else -1. */
  rowNumber: number;
  large: boolean;
  createdMs: number;
  editedMs: number;
  iconType: IconType;
  /** Index into EMOJIS / CUSTOM_EMOJI_NAMES / NATIVE_ICONS, depending on `iconType`. */
  icon: number;
  coverType: CoverType;
  /** Page indices shown as `child_page` blocks, in creation order (includes unshared pages). */
  childPages: number[];
  /** Database indices shown as `child_database` blocks. */
  childDatabases: number[];
  createdBy: number;
  editedBy: number;
}

/** Schemas a data source can have (internal): the common one, and "Milestones" for second sources. */
export type SchemaKind = 'main' | 'milestones';

/** Compact record of one data source (internal). */
export interface DataSourceSpec {
  database: number;
  /** Position within its database (0 = the first data source). */
  source: number;
  id: string;
  name: string;
  schema: SchemaKind;
  rows: number[];
  /** Rows generated with the workspace (set when `addRow` adds one): relations point only at these. */
  generatedRows?: number;
  /** The schema after changes (`addProperty`, `renameProperty`); absent while it is the generated one. */
  changedSchema?: PropDef[];
}

/** Compact record of one database (internal). */
export interface DatabaseSpec {
  index: number;
  id: string;
  /** The first data source's id. */
  dataSourceId: string;
  title: string;
  /** Page index of the page holding the `child_database` block, or -1 for a workspace-level database. */
  parentPage: number;
  inline: boolean;
  /** Rows of every data source, in data source order. */
  rows: number[];
  dataSources: DataSourceSpec[];
  createdMs: number;
  editedMs: number;
  iconType: IconType;
  icon: number;
  coverType: CoverType;
}

/** A linked database view (internal): a `child_database` block in `parentPage` whose database is refused. */
export interface LinkedDatabaseSpec {
  index: number;
  id: string;
  title: string;
  parentPage: number;
}

export interface UserSpec {
  index: number;
  id: string;
  name: string | null;
  email: string | null;
  avatarUrl: string | null;
  /** A guest of the workspace: not in `users.list` (as in Notion), named only where a value carries the user. */
  guest: boolean;
}

export interface CustomEmojiSpec {
  index: number;
  id: string;
  name: string;
}

/** A page as tests see it. */
export interface TwinPage {
  id: string;
  title: string;
  /** `'row'` for pages inside a database. */
  kind: 'page' | 'row';
  /** false for pages that answer 404: never shared, access removed, moved out of the shared tree, deleted, or below such a page. */
  shared: boolean;
  /** In Notion's trash (itself or an ancestor): answered with `in_trash: true`, not listed by its parent. */
  inTrash: boolean;
  parent: { type: 'workspace' } | { type: 'page_id'; pageId: string } | { type: 'data_source_id'; dataSourceId: string; databaseId: string };
  /** 0 for workspace-level pages. Rows count one level below the page holding their database. */
  depth: number;
  url: string;
  /** True when the page has more than 100 top-level blocks. */
  large: boolean;
  createdTime: string;
  lastEditedTime: string;
}

/** A data source of a database, as tests see it. */
export interface TwinDataSource {
  id: string;
  name: string;
  /** `'main'`: the common schema; `'milestones'`: the schema of second data sources. */
  schema: SchemaKind;
  /** Its rows, in creation order (rows in the trash or gone left out). */
  rowIds: string[];
  /** Property names in schema order (after `addProperty` / `renameProperty`). */
  properties: string[];
  lastEditedTime: string;
}

/** A database as tests see it. */
export interface TwinDatabase {
  id: string;
  /** The first data source's id. */
  dataSourceId: string;
  title: string;
  /** Page holding the `child_database` block (null for a workspace-level database). */
  parentPageId: string | null;
  isInline: boolean;
  /** In Notion's trash (itself or the page holding it). */
  inTrash: boolean;
  /** Rows of every data source, in data source order (rows in the trash or gone left out). */
  rowIds: string[];
  /** Every data source, as `databases.retrieve` lists them (`data_sources`). */
  dataSources: TwinDataSource[];
}

/** A linked database view as tests see it: listed as a `child_database` block, refused by `databases.retrieve`. */
export interface TwinLinkedDatabase {
  id: string;
  /** The `child_database.title` of its block. */
  title: string;
  parentPageId: string;
}

/** What the integration sees of a page or database: itself, itself in the trash, or a 404. */
export type Access = 'live' | 'trashed' | 'gone';

/** What an id resolves to (internal). */
export type Resolved =
  | { kind: 'page'; page: PageSpec }
  | { kind: 'database'; db: DatabaseSpec }
  | { kind: 'data_source'; db: DatabaseSpec; ds: DataSourceSpec }
  | { kind: 'linked_database'; link: LinkedDatabaseSpec }
  | { kind: 'block'; page: PageSpec; block: number }
  | { kind: 'user'; user: UserSpec }
  | { kind: 'comment'; page: PageSpec; n: number }
  | { kind: 'custom_emoji'; emoji: CustomEmojiSpec }
  | { kind: 'none' };

/** A search candidate (internal): a shared page, or data source `source` of database `index`. */
export interface SearchItem {
  kind: 'page' | 'data_source';
  index: number;
  source: number;
  /** In the trash: search lists it flagged while `trashInResults` holds, and under the `in_trash` filter. */
  inTrash: boolean;
}

const BASE_MS = Date.UTC(2025, 0, 6, 9, 0);

/** The options with their defaults, checked: non-negative integers, known names, a size ids can encode. */
function resolveWorkspaceOptions(options: WorkspaceOptions): ResolvedWorkspaceOptions {
  const o: ResolvedWorkspaceOptions = { ...DEFAULT_WORKSPACE_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in DEFAULT_WORKSPACE_OPTIONS)) throw new RangeError(`unknown WorkspaceOptions.${key}`);
    if (value !== undefined) Object.assign(o, { [key]: value });
  }
  for (const [key, value] of Object.entries(o)) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`WorkspaceOptions.${key} must be a non-negative integer, got ${value}`);
  }
  const users = PERSON_NAMES.length + GUEST_NAMES.length;
  if (o.manyMentionRefs > users) throw new RangeError(`WorkspaceOptions.manyMentionRefs must be at most ${users} (the number of users), got ${o.manyMentionRefs}`);
  const perDatabase = Math.max(o.rowsPerDatabase, o.manyRelationRefs + 1, 2) * 2;
  if (o.pages + o.unsharedPages + o.trashedPages + o.databases * perDatabase >= 0xfffff) {
    throw new RangeError('workspace too large: at most ~1,000,000 pages');
  }
  return o;
}

interface EditState {
  count: number;
  editedMs: number;
}

/** When a change happens: `atMs` (default the workspace's `clock()`); `last_edited_time` shows it to the minute. */
export interface ChangeTime {
  atMs?: number;
}

/** `editPage`: the content's edit, and a new title if given. */
export interface PageEdit extends ChangeTime {
  title?: string;
}

/** `addPage`: under `parentId` (a page) or at the workspace's root; a generated title unless given. */
export interface NewPage extends ChangeTime {
  parentId?: string | null;
  title?: string;
}

/** `addRow`: a generated title unless given. */
export interface NewRow extends ChangeTime {
  title?: string;
}

/** `movePage`: under `parentId` (a page), or to the workspace's root (`null`). */
export interface PageMove extends ChangeTime {
  parentId: string | null;
}

/** `editProperty`: the property's name or id (default the row's first editable property). */
export interface PropertyEdit extends ChangeTime {
  property?: string;
}

export const ADDABLE_PROPERTY_TYPES = ['rich_text', 'number', 'checkbox', 'url'] as const;
export type AddablePropertyType = (typeof ADDABLE_PROPERTY_TYPES)[number];

/** `addProperty`: its name and type (default rich_text). */
export interface NewProperty extends ChangeTime {
  name: string;
  type?: AddablePropertyType;
}

/** A change the workspace refuses (unknown id, a page the integration cannot see, a taken name…). */
export class TwinChangeError extends Error {
  override name = 'TwinChangeError';
}

export class Workspace {
  readonly options: ResolvedWorkspaceOptions;
  readonly codec: IdCodec;
  readonly botUserId: string;
  readonly workspaceId: string;
  readonly workspaceName = 'Twin Workspace';
  readonly integrationName = 'Notion Twin';
  /** All pages: ordinary, then unshared, then rows. */
  readonly pages: PageSpec[] = [];
  readonly databases: DatabaseSpec[] = [];
  readonly linked: LinkedDatabaseSpec[] = [];
  readonly users: UserSpec[] = [];
  readonly customEmojis: CustomEmojiSpec[] = [];
  /** Page whose body holds the synced block original referenced from the gallery (-1: the gallery itself). */
  syncSourcePage = -1;
  /**
   * While true (the default), search and data source queries keep returning items in the trash,
   * flagged `in_trash`, as Notion's index lags behind; false hides them (the `in_trash` filters
   * still find them).
   */
  trashInResults = true;
  /** The clock changes read when no `atMs` is given (`startTwin`'s `clock` option sets it). */
  clock: () => number = Date.now;
  /** Moves with every change of the workspace's shape; caches of page bodies are dropped when it does. */
  version = 0;
  // The changes made since generation: small overlays keyed by index or id, never copies.
  /** Content edit count and last edit of pages (any change that bumps `last_edited_time`). */
  private readonly edits = new Map<number, EditState>();
  /** Row property edits: page index → property id → edit count. */
  private readonly propertyEdits = new Map<number, Map<string, number>>();
  /** Pages and databases put in the trash themselves (their descendants follow them). */
  private readonly trashedPageSet = new Set<number>();
  private readonly trashedDatabaseSet = new Set<number>();
  /** Pages deleted for good or moved out of the shared tree: 404, and listed by no parent. */
  private readonly detachedPages = new Set<number>();
  private readonly deletedDatabases = new Set<number>();
  /** Last edit of data sources whose schema changed, by data source id. */
  private readonly sourceEdits = new Map<string, number>();
  /** Edits of synced block originals, by `page index:node index`. */
  private readonly syncedEdits = new Map<string, EditState>();
  private searchOrder: SearchItem[] | null = null;

  constructor(options: WorkspaceOptions = {}) {
    const o = resolveWorkspaceOptions(options);
    this.options = o;
    this.codec = new IdCodec(o.seed);
    this.botUserId = this.codec.encode(IdKind.user, 0);
    this.workspaceId = this.codec.encode(IdKind.workspace, 0);
    this.generate();
  }

  /**
   * Builds the workspace from the seed, one step after another. The steps share one random
   * sequence, so their order (and the order of draws inside each) is part of the workspace.
   */
  private generate(): void {
    const rng = new Rng(hashInts(this.options.seed, 0x57a7));
    this.addUsers();
    this.addCustomEmojis();
    this.addOrdinaryPages(rng);
    this.showEveryIconAndCover();
    this.syncSourcePage = this.options.pages > 1 ? 1 : -1;
    this.markLargePages(rng);
    this.addUnsharedPages(rng);
    this.addDatabases(rng);
    this.addLinkedDatabases();
    this.addTrashedPages();
  }

  /** People (with and without name, email, avatar) and guests; the bot is user 0. */
  private addUsers(): void {
    const names: readonly (string | null)[] = [...PERSON_NAMES, ...GUEST_NAMES];
    names.forEach((name, i) => {
      const first = name === null ? null : name.split(' ')[0].toLowerCase().normalize('NFKD').replace(/[^a-z]/g, '');
      this.users.push({
        index: i + 1,
        id: this.codec.encode(IdKind.user, i + 1),
        name,
        email: first === null ? null : `${first}${i >= PERSON_NAMES.length ? `.guest${i}` : ''}@twin.example`,
        avatarUrl: first === null || i % 3 === 2 ? null : `https://avatars.twin.example/${first}.png`,
        guest: i >= PERSON_NAMES.length,
      });
    });
  }

  private addCustomEmojis(): void {
    CUSTOM_EMOJI_NAMES.forEach((name, i) => {
      this.customEmojis.push({ index: i, id: this.codec.encode(IdKind.customEmoji, i), name });
    });
  }

  /**
   * Ordinary pages: a few roots, a chain reaching the full depth, the gallery's hostile-titled
   * children, then pages hung under random pages that may still have children.
   */
  private addOrdinaryPages(rng: Rng): void {
    const o = this.options;
    const n = o.pages;
    const roots = n === 0 ? 0 : Math.min(8, Math.max(1, Math.ceil(n / 20)));
    const siblingsFrom = roots + o.depth;
    const siblings = o.depth >= 1 ? Math.max(0, Math.min(SIBLING_TITLES.length, n - siblingsFrom)) : 0;
    const eligible: number[] = [];
    for (let i = 0; i < n; i++) {
      let parent: PageParentSpec = { type: 'workspace' };
      let depth = 0;
      let title: string;
      if (i >= siblingsFrom && i < siblingsFrom + siblings) {
        parent = { type: 'page_id', page: 0 };
        depth = 1;
        title = SIBLING_TITLES[i - siblingsFrom];
      } else {
        if (i >= roots) {
          const chainStep = i - roots;
          const parentIndex = chainStep < o.depth ? (chainStep === 0 ? 0 : i - 1) : eligible.length > 0 ? rng.pick(eligible) : 0;
          parent = { type: 'page_id', page: parentIndex };
          depth = this.pages[parentIndex].depth + 1;
        }
        title = i % 5 === 4 ? TRICKY_TITLES[Math.floor(i / 5) % TRICKY_TITLES.length] : i === 0 ? 'Block gallery' : randomTitle(rng);
      }
      const page = this.newPage(rng, { title, kind: 'page', shared: true, parent, depth, rowNumber: -1, createdMs: BASE_MS + i * 7 * MINUTE });
      if (parent.type === 'page_id') this.pages[parent.page].childPages.push(page.index);
      if (depth < o.depth) eligible.push(page.index);
    }
  }

  /** Every icon and cover kind on the first pages after the gallery. */
  private showEveryIconAndCover(): void {
    const showcase: Array<[IconType, number, CoverType]> = [
      [IconType.external, 0, CoverType.file],
      [IconType.file, 0, CoverType.external],
      [IconType.customEmoji, 0, CoverType.none],
      [IconType.native, 0, CoverType.none],
    ];
    showcase.forEach(([iconType, icon, coverType], k) => {
      const page = this.pages[k + 1];
      if (page) Object.assign(page, { iconType, icon, coverType });
    });
  }

  /** `largePages` ordinary pages picked at random, never the gallery unless it is the only page. */
  private markLargePages(rng: Rng): void {
    const n = this.options.pages;
    const candidates: number[] = [];
    for (let i = n > 1 ? 1 : 0; i < n; i++) candidates.push(i);
    for (let k = 0; k < Math.min(this.options.largePages, candidates.length); k++) {
      const j = k + Math.floor(rng.float() * (candidates.length - k));
      [candidates[k], candidates[j]] = [candidates[j], candidates[k]];
      this.pages[candidates[k]].large = true;
    }
  }

  /** Unshared pages: listed as child_page blocks of a shared page, 404 when fetched. */
  private addUnsharedPages(rng: Rng): void {
    const n = this.options.pages;
    for (let u = 0; u < this.options.unsharedPages && n > 0; u++) {
      const parentIndex = rng.int(0, n - 1);
      const page = this.newPage(rng, {
        title: `Private ${randomTitle(rng).toLowerCase()}`,
        kind: 'page',
        shared: false,
        parent: { type: 'page_id', page: parentIndex },
        depth: this.pages[parentIndex].depth + 1,
        rowNumber: -1,
        createdMs: BASE_MS + (n + u) * 7 * MINUTE,
      });
      this.pages[parentIndex].childPages.push(page.index);
    }
  }

  /** Databases, each with its data sources and their rows; the last `multiSourceDatabases` get a second source. */
  private addDatabases(rng: Rng): void {
    const o = this.options;
    const multiFrom = o.databases - Math.min(o.multiSourceDatabases, o.databases);
    for (let d = 0; d < o.databases; d++) {
      const db = this.addDatabase(rng, d);
      const depth = db.parentPage >= 0 ? this.pages[db.parentPage].depth + 1 : 0;
      const sourceCount = d >= multiFrom ? 2 : 1;
      for (let s = 0; s < sourceCount; s++) this.addRows(rng, db, this.addDataSource(db, s), depth);
      db.dataSourceId = db.dataSources[0].id;
    }
  }

  /** Database `d` (no data sources yet), as a `child_database` block of a random page. */
  private addDatabase(rng: Rng, d: number): DatabaseSpec {
    const n = this.options.pages;
    const parentPage = n > 0 ? rng.int(0, n - 1) : -1;
    const createdMs = BASE_MS + d * 3 * 24 * 60 * MINUTE + rng.int(0, 59_999);
    const title = `${DATABASE_TITLES[d % DATABASE_TITLES.length]}${d >= DATABASE_TITLES.length ? ` ${Math.floor(d / DATABASE_TITLES.length) + 1}` : ''}`;
    const inline = rng.chance(0.5);
    const emoji = rng.chance(0.6) ? rng.int(0, EMOJIS.length - 1) : -1;
    const db: DatabaseSpec = {
      index: d,
      id: this.codec.encode(IdKind.database, d),
      dataSourceId: this.codec.encode(IdKind.dataSource, d, 0),
      title,
      parentPage,
      inline,
      rows: [],
      dataSources: [],
      createdMs,
      editedMs: createdMs + rng.int(0, 30 * 24 * 60) * MINUTE,
      iconType: d === 0 ? IconType.file : d === 1 ? IconType.external : emoji >= 0 ? IconType.emoji : IconType.none,
      icon: Math.max(0, emoji),
      coverType: d === 0 ? CoverType.file : d === 1 ? CoverType.external : CoverType.none,
    };
    this.databases.push(db);
    if (parentPage >= 0) this.pages[parentPage].childDatabases.push(d);
    return db;
  }

  /** Data source `s` of a database: the first has the database's title and the common schema, others are "Milestones". */
  private addDataSource(db: DatabaseSpec, s: number): DataSourceSpec {
    const ds: DataSourceSpec = {
      database: db.index,
      source: s,
      id: this.codec.encode(IdKind.dataSource, db.index, s),
      name: s === 0 ? db.title : 'Milestones',
      schema: s === 0 ? 'main' : 'milestones',
      rows: [],
    };
    db.dataSources.push(ds);
    return ds;
  }

  /**
   * The rows of a data source, created 13 minutes apart after the database's earlier rows. The first
   * data source gets more rows when `manyRelationRefs` or the crowded row need them.
   */
  private addRows(rng: Rng, db: DatabaseSpec, ds: DataSourceSpec, depth: number): void {
    const o = this.options;
    const d = db.index;
    const s = ds.source;
    let rowCount = o.rowsPerDatabase;
    if (d === 0 && s === 0) {
      if (o.manyRelationRefs > 0) rowCount = Math.max(rowCount, o.manyRelationRefs + 1);
      if (o.manyMentionRefs > 0) rowCount = Math.max(rowCount, 2);
    }
    for (let r = 0; r < rowCount; r++) {
      let rowTitle: string;
      if (d === 0 && s === 0 && r === 1 && o.manyMentionRefs > 0) rowTitle = crowdedTitle(this.users.slice(0, o.manyMentionRefs));
      else if (r % 9 === 8) rowTitle = TRICKY_TITLES[(r + d) % TRICKY_TITLES.length];
      else rowTitle = s === 0 ? `${randomTitle(rng)} #${r + 1}` : `Milestone ${r + 1}: ${randomTitle(rng).toLowerCase()}`;
      const page = this.newPage(rng, {
        title: rowTitle,
        kind: 'row',
        shared: true,
        parent: { type: 'data_source_id', database: d, source: s },
        depth,
        rowNumber: r,
        createdMs: db.createdMs - (db.createdMs % MINUTE) + (db.rows.length + 1) * 13 * MINUTE,
      });
      ds.rows.push(page.index);
      db.rows.push(page.index);
    }
  }

  /** Linked database views, in the gallery. */
  private addLinkedDatabases(): void {
    for (let l = 0; l < this.options.linkedDatabases && this.options.pages > 0; l++) {
      this.linked.push({ index: l, id: this.codec.encode(IdKind.linkedDatabase, l), title: 'Untitled', parentPage: 0 });
    }
  }

  /**
   * Pages already in the trash, after everything else and from their own random sequence, so the
   * rest of the workspace is the same with or without them. Their parents still hold them as
   * children; bodies leave trashed children out.
   */
  private addTrashedPages(): void {
    const n = this.options.pages;
    const rng = new Rng(hashInts(this.options.seed, 0x7a54));
    for (let t = 0; t < this.options.trashedPages; t++) {
      const parentIndex = n > 0 && rng.chance(0.7) ? rng.int(0, n - 1) : -1;
      const page = this.newPage(rng, {
        title: `Old ${randomTitle(rng).toLowerCase()}`,
        kind: 'page',
        shared: true,
        parent: parentIndex >= 0 ? { type: 'page_id', page: parentIndex } : { type: 'workspace' },
        depth: parentIndex >= 0 ? this.pages[parentIndex].depth + 1 : 0,
        rowNumber: -1,
        createdMs: BASE_MS + (n + t) * 11 * MINUTE,
      });
      if (parentIndex >= 0) this.pages[parentIndex].childPages.push(page.index);
      this.trashedPageSet.add(page.index);
    }
  }

  private newPage(
    rng: Rng,
    p: Pick<PageSpec, 'title' | 'kind' | 'shared' | 'parent' | 'depth' | 'rowNumber' | 'createdMs'>,
  ): PageSpec {
    const index = this.pages.length;
    const createdMs = p.createdMs - (p.createdMs % MINUTE);
    const editedMs = createdMs + rng.int(0, 120 * 24 * 60) * MINUTE;
    const iconRoll = rng.float();
    const emoji = rng.int(0, EMOJIS.length - 1);
    const coverRoll = rng.float();
    const iconType: IconType =
      iconRoll < 0.45 ? IconType.emoji : iconRoll < 0.5 ? IconType.external : iconRoll < 0.53 ? IconType.file : iconRoll < 0.55 ? IconType.customEmoji : iconRoll < 0.57 ? IconType.native : IconType.none;
    const spec: PageSpec = {
      ...p,
      index,
      id: this.codec.encode(IdKind.page, index),
      createdMs,
      editedMs,
      large: false,
      iconType,
      icon: iconType === IconType.emoji ? emoji : emoji % 3,
      coverType: coverRoll < 0.1 ? CoverType.external : coverRoll < 0.15 ? CoverType.file : CoverType.none,
      childPages: [],
      childDatabases: [],
      createdBy: rng.int(1, PERSON_NAMES.length),
      editedBy: rng.int(0, PERSON_NAMES.length),
    };
    this.pages.push(spec);
    return spec;
  }

  // ---- lookups (internal) -------------------------------------------------------------------

  /** Resolves a dashed or undashed id to what it names; `none` for ids the twin never issued. */
  resolve(rawId: string): Resolved {
    const compact = compactId(rawId);
    if (compact === null) return { kind: 'none' };
    const d = this.codec.decode(compact);
    if (d === null) return { kind: 'none' };
    switch (d.kind) {
      case IdKind.page:
        return d.b === 0 && d.a < this.pages.length ? { kind: 'page', page: this.pages[d.a] } : { kind: 'none' };
      case IdKind.database:
        return d.b === 0 && d.a < this.databases.length ? { kind: 'database', db: this.databases[d.a] } : { kind: 'none' };
      case IdKind.dataSource: {
        const db = this.databases[d.a];
        const ds = db?.dataSources[d.b];
        return ds ? { kind: 'data_source', db, ds } : { kind: 'none' };
      }
      case IdKind.linkedDatabase: {
        const link = d.b === 0 ? this.linked[d.a] : undefined;
        return link ? { kind: 'linked_database', link } : { kind: 'none' };
      }
      case IdKind.block:
        return d.a < this.pages.length && d.b > 0 ? { kind: 'block', page: this.pages[d.a], block: d.b } : { kind: 'none' };
      case IdKind.user: {
        if (d.b !== 0) return { kind: 'none' };
        const user = this.users[d.a - 1];
        return user ? { kind: 'user', user } : { kind: 'none' };
      }
      case IdKind.comment:
        return d.a < this.pages.length ? { kind: 'comment', page: this.pages[d.a], n: d.b } : { kind: 'none' };
      case IdKind.customEmoji: {
        const emoji = d.b === 0 ? this.customEmojis[d.a] : undefined;
        return emoji ? { kind: 'custom_emoji', emoji } : { kind: 'none' };
      }
      default:
        return { kind: 'none' };
    }
  }

  /** The data source a row belongs to (null for ordinary pages). */
  dataSourceOf(page: PageSpec): DataSourceSpec | null {
    return page.parent.type === 'data_source_id' ? this.databases[page.parent.database].dataSources[page.parent.source] : null;
  }

  /** Edit count and effective last-edited time of a page. */
  editState(page: PageSpec): EditState {
    return this.edits.get(page.index) ?? { count: 0, editedMs: page.editedMs };
  }

  /** Edit counts of a row's properties by property id (undefined: never edited). */
  propertyEditCounts(page: PageSpec): ReadonlyMap<string, number> | undefined {
    return this.propertyEdits.get(page.index);
  }

  /** Edit count and time of a synced block original (node `node` of `page`), or null if never edited. */
  syncedEditState(page: PageSpec, node: number): EditState | null {
    return this.syncedEdits.get(`${page.index}:${node}`) ?? null;
  }

  /** Last edit of a data source (its schema; the database's time until the schema changes). */
  dataSourceEditedMs(db: DatabaseSpec, ds: DataSourceSpec): number {
    return Math.max(this.sourceEdits.get(ds.id) ?? db.editedMs, db.editedMs);
  }

  /**
   * What the integration sees of a page: `live`; `trashed` (itself or an ancestor in the trash:
   * answered flagged, not listed by its parent); `gone` (404: never shared, access removed, moved
   * out of the shared tree, deleted, or below such a page).
   */
  pageAccess(page: PageSpec): Access {
    if (!page.shared) return 'gone';
    let up: Access = 'live';
    if (page.parent.type === 'page_id') up = this.pageAccess(this.pages[page.parent.page]);
    else if (page.parent.type === 'data_source_id') up = this.databaseAccess(this.databases[page.parent.database]);
    if (up === 'gone') return 'gone';
    return up === 'trashed' || this.trashedPageSet.has(page.index) ? 'trashed' : 'live';
  }

  /** What the integration sees of a database (and its data sources), as for pages. */
  databaseAccess(db: DatabaseSpec): Access {
    if (this.deletedDatabases.has(db.index)) return 'gone';
    const up: Access = db.parentPage >= 0 ? this.pageAccess(this.pages[db.parentPage]) : 'live';
    if (up === 'gone') return 'gone';
    return up === 'trashed' || this.trashedDatabaseSet.has(db.index) ? 'trashed' : 'live';
  }

  /** Whether a parent's body lists this child page (restricted pages stay listed and answer 404). */
  listsChildPage(page: PageSpec): boolean {
    return !this.trashedPageSet.has(page.index) && !this.detachedPages.has(page.index);
  }

  /** Whether a parent's body lists this database. */
  listsChildDatabase(db: DatabaseSpec): boolean {
    return !this.trashedDatabaseSet.has(db.index) && !this.deletedDatabases.has(db.index);
  }

  /** Search candidates (pages and data sources the integration sees, trashed ones flagged), most recently edited first. */
  searchItems(): readonly SearchItem[] {
    if (this.searchOrder === null) {
      const items: Array<SearchItem & { t: number }> = [];
      for (const p of this.pages) {
        const access = this.pageAccess(p);
        if (access !== 'gone') items.push({ kind: 'page', index: p.index, source: 0, inTrash: access === 'trashed', t: this.editState(p).editedMs });
      }
      for (const db of this.databases) {
        const access = this.databaseAccess(db);
        if (access === 'gone') continue;
        for (const ds of db.dataSources) {
          const schemaEdit = this.sourceEdits.get(ds.id);
          const t = schemaEdit === undefined ? db.editedMs - ds.source * MINUTE : Math.max(schemaEdit, db.editedMs);
          items.push({ kind: 'data_source', index: db.index, source: ds.source, inTrash: access === 'trashed', t });
        }
      }
      items.sort((x, y) => y.t - x.t || (x.kind === y.kind ? x.index - y.index || x.source - y.source : x.kind === 'page' ? -1 : 1));
      this.searchOrder = items.map(({ kind, index, source, inTrash }) => ({ kind, index, source, inTrash }));
    }
    return this.searchOrder;
  }

  /** The user with the given 1-based index (0 = the bot). */
  userId(index: number): string {
    return index === 0 ? this.botUserId : this.users[index - 1].id;
  }

  // ---- public API ---------------------------------------------------------------------------

  /**
   * Every page the token can see, rows included, each exactly once (creation order). Pages in the
   * trash are included, `inTrash: true`; pages that answer 404 are not.
   */
  allPages(): TwinPage[] {
    return this.pages.filter((p) => this.pageAccess(p) !== 'gone').map((p) => this.describePage(p));
  }

  /** Pages that appear as `child_page` blocks but answer 404 object_not_found (never shared, or access removed). */
  unsharedPages(): TwinPage[] {
    return this.pages.filter((p) => !p.shared && !this.detachedPages.has(p.index)).map((p) => this.describePage(p));
  }

  /** Pages the token can see whose parent is the workspace. */
  rootPages(): TwinPage[] {
    return this.pages.filter((p) => p.parent.type === 'workspace' && this.pageAccess(p) !== 'gone').map((p) => this.describePage(p));
  }

  /** Every database the token can see, one entry each (its data sources in `dataSources`); trashed ones `inTrash`. Linked views are not databases. */
  allDatabases(): TwinDatabase[] {
    return this.databases.filter((db) => this.databaseAccess(db) !== 'gone').map((db) => this.describeDatabase(db));
  }

  /** Linked database views: `child_database` blocks that `databases.retrieve` refuses. */
  linkedDatabases(): TwinLinkedDatabase[] {
    return this.linked.map((l) => ({ id: l.id, title: l.title, parentPageId: this.pages[l.parentPage].id }));
  }

  /**
   * Every file the workspace holds: Notion-hosted files (`kind: 'file'`, served by the twin under
   * `/files/…`, with the sha256 and size of the bytes served) and external file references
   * (`kind: 'external'`, `url` set, `sha256: ''`, `bytes: 0`). Covers blocks (image, video, audio,
   * pdf, file, callout icons), page and database icons and covers, and `files` property values.
   * Walks every page body, so it costs about as much as generating the workspace's content.
   */
  allAttachments(): Attachment[] {
    return listAttachments(this);
  }

  /** A page (shared or not) by id, dashed or not. */
  page(id: string): TwinPage | undefined {
    const r = this.resolve(id);
    return r.kind === 'page' ? this.describePage(r.page) : undefined;
  }

  /** A database by its database id or one of its data source ids. */
  database(id: string): TwinDatabase | undefined {
    const r = this.resolve(id);
    return r.kind === 'database' || r.kind === 'data_source' ? this.describeDatabase(r.db) : undefined;
  }

  /** Counts for assertions and logs. */
  summary(): { pages: number; rows: number; unshared: number; databases: number; dataSources: number; linkedDatabases: number; users: number } {
    let pages = 0;
    let rows = 0;
    let unshared = 0;
    for (const p of this.pages) {
      if (!p.shared) {
        if (!this.detachedPages.has(p.index)) unshared++;
      } else if (this.pageAccess(p) === 'gone') {
        // below a page the token cannot see
      } else if (p.kind === 'row') rows++;
      else pages++;
    }
    let databases = 0;
    let dataSources = 0;
    for (const db of this.databases) {
      if (this.databaseAccess(db) === 'gone') continue;
      databases++;
      dataSources += db.dataSources.length;
    }
    return { pages, rows, unshared, databases, dataSources, linkedDatabases: this.linked.length, users: this.users.length + 1 };
  }

  // ---- changes: what people do in Notion between two syncs ---------------------------------------
  // Each change moves `last_edited_time` only where Notion does, to `atMs` (default: `clock()`;
  // shown to the minute, never moved back), and shows in every answer, search and query at once.

  /**
   * Edits a page's (or row's) content: the first text block's text gains "(edited n)". With
   * `title`, renames it too. The page's `last_edited_time` moves; its parent's does not (Notion does
   * not bump a parent for its child's edits). A number is taken as `atMs`. Returns the edit count.
   */
  editPage(id: string, change: number | PageEdit = {}): number {
    const { atMs, title } = typeof change === 'number' ? { atMs: change, title: undefined } : change;
    const page = this.changeablePage(id, 'editPage');
    if (title !== undefined) page.title = title;
    const count = this.editState(page).count + 1;
    this.bumpPage(page, atMs, count);
    return count;
  }

  /** Renames a page (or a row: its title property) without touching its content; bumps it. */
  renamePage(id: string, title: string, change: ChangeTime = {}): void {
    const page = this.changeablePage(id, 'renamePage');
    page.title = title;
    this.bumpPage(page, change.atMs);
  }

  /**
   * Edits one property of a row (`property`: name or id; default the first editable text property): text
   * gains "(edited n)", numbers grow by n, checkboxes flip, selects and statuses move on. Bumps the
   * row only. Returns that property's edit count.
   */
  editProperty(id: string, change: PropertyEdit = {}): number {
    const page = this.changeablePage(id, 'editProperty');
    const ds = this.dataSourceOf(page);
    if (ds === null) throw new TwinChangeError(`editProperty: ${page.id} is not a database row`);
    const def = editableProperty(ds, change.property);
    if (typeof def === 'string') throw new TwinChangeError(`editProperty: ${def}`);
    let counts = this.propertyEdits.get(page.index);
    if (!counts) {
      counts = new Map();
      this.propertyEdits.set(page.index, counts);
    }
    const count = (counts.get(def.id) ?? 0) + 1;
    counts.set(def.id, count);
    this.bumpPage(page, change.atMs);
    return count;
  }

  /**
   * Adds a page under a page (`parentId`) or at the workspace's root (no `parentId`), with generated
   * content (deterministic for the seed and its position). It appears in search, as a `child_page`
   * block of its parent (whose `last_edited_time` stays) and in `allPages()`. Returns its id.
   */
  addPage(change: NewPage = {}): string {
    const parent = change.parentId === undefined || change.parentId === null ? null : this.parentPage(change.parentId, 'addPage');
    const index = this.nextPageIndex('addPage');
    const rng = new Rng(hashInts(this.options.seed, index, 0xadd));
    const page = this.newPage(rng, {
      title: change.title ?? randomTitle(rng),
      kind: 'page',
      shared: true,
      parent: parent ? { type: 'page_id', page: parent.index } : { type: 'workspace' },
      depth: parent ? parent.depth + 1 : 0,
      rowNumber: -1,
      createdMs: change.atMs ?? this.clock(),
    });
    page.editedMs = page.createdMs;
    if (parent) parent.childPages.push(index);
    this.touch();
    return page.id;
  }

  /**
   * Adds a row to a data source (a database id means its first data source), with generated
   * values. It appears in search and in the data source's queries. Returns its id.
   */
  addRow(dataSourceId: string, change: NewRow = {}): string {
    const { db, ds } = this.changeableSource(dataSourceId, 'addRow');
    const index = this.nextPageIndex('addRow');
    const rng = new Rng(hashInts(this.options.seed, index, 0xadd));
    const rowNumber = ds.rows.length;
    const title = change.title ?? (ds.source === 0 ? `${randomTitle(rng)} #${rowNumber + 1}` : `Milestone ${rowNumber + 1}: ${randomTitle(rng).toLowerCase()}`);
    const page = this.newPage(rng, {
      title,
      kind: 'row',
      shared: true,
      parent: { type: 'data_source_id', database: db.index, source: ds.source },
      depth: db.parentPage >= 0 ? this.pages[db.parentPage].depth + 1 : 0,
      rowNumber,
      createdMs: change.atMs ?? this.clock(),
    });
    page.editedMs = page.createdMs;
    // Generated rows relate only to generated rows, so a new row changes no other row's values.
    ds.generatedRows ??= ds.rows.length;
    let position = 0;
    for (const other of db.dataSources) {
      position += other.rows.length;
      if (other === ds) break;
    }
    ds.rows.push(index);
    db.rows.splice(position, 0, index);
    this.touch();
    return page.id;
  }

  /**
   * Moves a page under another page (`parentId`) or to the workspace's root (`null`). Its `parent`
   * changes and its `last_edited_time` moves; the old parent stops listing its `child_page` block and
   * the new one lists it (neither parent is bumped). Rows stay in their data source.
   */
  movePage(id: string, change: PageMove): void {
    const page = this.changeablePage(id, 'movePage');
    if (page.kind === 'row') throw new TwinChangeError(`movePage: ${page.id} is a database row; rows stay in their data source`);
    const target = change.parentId === null ? null : this.parentPage(change.parentId, 'movePage');
    for (let p = target; p !== null; p = p.parent.type === 'page_id' ? this.pages[p.parent.page] : null) {
      if (p.index === page.index) throw new TwinChangeError(`movePage: ${change.parentId} is ${page.id} or below it`);
    }
    this.unlinkFromParent(page);
    page.parent = target ? { type: 'page_id', page: target.index } : { type: 'workspace' };
    if (target) target.childPages.push(page.index);
    this.setDepth(page, target ? target.depth + 1 : 0);
    this.bumpPage(page, change.atMs);
  }

  /**
   * Puts a page, a row or a database (its id or a data source's) in the trash: answers carry
   * `in_trash: true` and `archived: true` (its descendants' too); its parent stops listing it;
   * search and data source queries keep returning it flagged while `trashInResults` holds.
   */
  trash(id: string, change: ChangeTime = {}): void {
    const r = this.resolve(id);
    if (r.kind === 'page' && this.pageAccess(r.page) !== 'gone') {
      this.trashedPageSet.add(r.page.index);
      this.bumpPage(r.page, change.atMs);
    } else if ((r.kind === 'database' || r.kind === 'data_source') && this.databaseAccess(r.db) !== 'gone') {
      this.trashedDatabaseSet.add(r.db.index);
      this.bumpDatabase(r.db, change.atMs);
    } else {
      throw new TwinChangeError(`trash: ${id} is no page or database the integration sees`);
    }
  }

  /** Takes a page, row or database out of the trash: it is listed, searched and queried again. */
  restore(id: string, change: ChangeTime = {}): void {
    const r = this.resolve(id);
    if (r.kind === 'page' && this.trashedPageSet.has(r.page.index) && r.page.shared) {
      this.trashedPageSet.delete(r.page.index);
      this.bumpPage(r.page, change.atMs);
    } else if ((r.kind === 'database' || r.kind === 'data_source') && this.trashedDatabaseSet.has(r.db.index) && !this.deletedDatabases.has(r.db.index)) {
      this.trashedDatabaseSet.delete(r.db.index);
      this.bumpDatabase(r.db, change.atMs);
    } else {
      throw new TwinChangeError(`restore: ${id} is not in the trash`);
    }
  }

  /** Deletes a page, row or database for good (from the trash or not): 404 everywhere, gone from every list. */
  deletePermanently(id: string): void {
    const r = this.resolve(id);
    if (r.kind === 'page' && this.pageAccess(r.page) !== 'gone') {
      this.trashedPageSet.delete(r.page.index);
      this.detach(r.page);
    } else if ((r.kind === 'database' || r.kind === 'data_source') && this.databaseAccess(r.db) !== 'gone') {
      this.trashedDatabaseSet.delete(r.db.index);
      this.deletedDatabases.add(r.db.index);
      this.touch();
    } else {
      throw new TwinChangeError(`deletePermanently: ${id} is no page or database the integration sees`);
    }
  }

  /**
   * Removes the integration's access to a page: it and everything below it answer 404
   * object_not_found and leave search; its parent still lists its `child_page` block (like
   * `unsharedPages`). No `last_edited_time` moves.
   */
  restrictPage(id: string): void {
    const page = this.changeablePage(id, 'restrictPage');
    page.shared = false;
    this.touch();
  }

  /**
   * Moves a page under a page the integration cannot see: it and everything below it answer 404
   * and leave search, and its old parent stops listing it.
   */
  movePageOutOfSharedTree(id: string, change: ChangeTime = {}): void {
    const page = this.changeablePage(id, 'movePageOutOfSharedTree');
    this.bumpPage(page, change.atMs);
    this.detach(page);
  }

  /**
   * Edits a synced block's original (default: the one on `syncedOriginals()[0].pageId`, which the
   * gallery shows through a reference): its first text child gains "(synced edit n)". The page
   * holding the original is bumped; pages showing a reference are not, as in Notion, though the
   * reference's children (read through the original) show the new text. Returns the edit count.
   */
  editSyncedBlock(blockId?: string, change: ChangeTime = {}): number {
    let page: PageSpec;
    let node: number;
    if (blockId === undefined) {
      if (this.syncSourcePage < 0) throw new TwinChangeError('editSyncedBlock: this workspace has no cross-page synced block (it needs 2 pages)');
      page = this.pages[this.syncSourcePage];
      node = 0;
    } else {
      const r = this.resolve(blockId);
      if (r.kind !== 'block') throw new TwinChangeError(`editSyncedBlock: ${blockId} is not a block`);
      page = r.page;
      node = r.block - 1;
    }
    if (this.pageAccess(page) === 'gone') throw new TwinChangeError(`editSyncedBlock: the integration does not see ${page.id}`);
    const original = pageBody(this, page).nodes[node];
    if (original?.type !== 'synced_block' || original.ref >= 0) throw new TwinChangeError(`editSyncedBlock: ${blockId} is not a synced block original`);
    const key = `${page.index}:${node}`;
    const count = (this.syncedEdits.get(key)?.count ?? 0) + 1;
    const at = change.atMs ?? this.clock();
    this.syncedEdits.set(key, { count, editedMs: at });
    this.bumpPage(page, at);
    return count;
  }

  /**
   * Synced block originals shown on other pages: the original's block id, the page holding it, and
   * the pages showing a `synced_block` reference to it.
   */
  syncedOriginals(): Array<{ blockId: string; pageId: string; referencePageIds: string[] }> {
    const source = this.pages[this.syncSourcePage];
    const gallery = this.pages[0];
    if (!source || !gallery || gallery.large) return [];
    return [{ blockId: this.codec.encode(IdKind.block, source.index, 1), pageId: source.id, referencePageIds: [gallery.id] }];
  }

  /**
   * Adds a property to a data source's schema (`type`: rich_text (default), number, checkbox or url),
   * empty on every row until `editProperty` sets it. The data source's `last_edited_time` moves; rows'
   * do not. Returns the property's id.
   */
  addProperty(dataSourceId: string, change: NewProperty): string {
    const { db, ds } = this.changeableSource(dataSourceId, 'addProperty');
    const schema = schemaOf(ds);
    const type = change.type ?? 'rich_text';
    if (!ADDABLE_PROPERTY_TYPES.includes(type)) throw new TwinChangeError(`addProperty: type must be one of ${ADDABLE_PROPERTY_TYPES.join(', ')}`);
    if (change.name.trim() === '' || schema.some((d) => d.name === change.name)) throw new TwinChangeError(`addProperty: ${JSON.stringify(change.name)} is empty or taken`);
    const def: PropDef = { name: change.name, id: `tw%3A${schema.filter((d) => d.key === 'added').length + 1}`, type, key: 'added' };
    ds.changedSchema = [...schema, def];
    this.bumpSource(db, ds, change.atMs);
    return def.id;
  }

  /** Renames a property of a data source (`property`: name or id); rows show it under the new name, unbumped. */
  renameProperty(dataSourceId: string, property: string, name: string, change: ChangeTime = {}): void {
    const { db, ds } = this.changeableSource(dataSourceId, 'renameProperty');
    const schema = schemaOf(ds);
    const def = findProperty(schema, property);
    if (!def) throw new TwinChangeError(`renameProperty: no property ${JSON.stringify(property)}`);
    if (name.trim() === '' || schema.some((d) => d !== def && d.name === name)) throw new TwinChangeError(`renameProperty: ${JSON.stringify(name)} is empty or taken`);
    ds.changedSchema = schema.map((d) => (d === def ? { ...d, name } : d));
    this.bumpSource(db, ds, change.atMs);
  }

  private touch(): void {
    this.version++;
    this.searchOrder = null;
  }

  /** Moves a page's `last_edited_time` to `atMs` (never back), with its content edit count. */
  private bumpPage(page: PageSpec, atMs: number | undefined, count = this.editState(page).count): void {
    const at = atMs ?? this.clock();
    this.edits.set(page.index, { count, editedMs: Math.max(at, this.editState(page).editedMs) });
    this.touch();
  }

  private bumpDatabase(db: DatabaseSpec, atMs: number | undefined): void {
    db.editedMs = Math.max(atMs ?? this.clock(), db.editedMs);
    this.touch();
  }

  private bumpSource(db: DatabaseSpec, ds: DataSourceSpec, atMs: number | undefined): void {
    this.sourceEdits.set(ds.id, Math.max(atMs ?? this.clock(), this.dataSourceEditedMs(db, ds)));
    this.touch();
  }

  /** A page the integration sees (in the trash or not), or a TwinChangeError. */
  private changeablePage(id: string, change: string): PageSpec {
    const r = this.resolve(id);
    if (r.kind !== 'page' || this.pageAccess(r.page) === 'gone') throw new TwinChangeError(`${change}: ${id} is no page the integration sees`);
    return r.page;
  }

  /** A page that may receive children: an ordinary page the integration sees, outside the trash. */
  private parentPage(id: string, change: string): PageSpec {
    const r = this.resolve(id);
    if (r.kind !== 'page' || r.page.kind !== 'page' || this.pageAccess(r.page) !== 'live') throw new TwinChangeError(`${change}: ${id} is no page outside the trash the integration sees`);
    return r.page;
  }

  /** A data source (a database id: its first) of a database outside the trash. */
  private changeableSource(id: string, change: string): { db: DatabaseSpec; ds: DataSourceSpec } {
    const r = this.resolve(id);
    if ((r.kind !== 'data_source' && r.kind !== 'database') || this.databaseAccess(r.db) !== 'live') {
      throw new TwinChangeError(`${change}: ${id} is no data source outside the trash the integration sees`);
    }
    return { db: r.db, ds: r.kind === 'data_source' ? r.ds : r.db.dataSources[0] };
  }

  private nextPageIndex(change: string): number {
    if (this.pages.length >= 0xfffff) throw new TwinChangeError(`${change}: the workspace is full`);
    return this.pages.length;
  }

  private unlinkFromParent(page: PageSpec): void {
    if (page.parent.type !== 'page_id') return;
    const siblings = this.pages[page.parent.page].childPages;
    const k = siblings.indexOf(page.index);
    if (k >= 0) siblings.splice(k, 1);
  }

  /** Out of the integration's sight for good: 404, listed by no parent. */
  private detach(page: PageSpec): void {
    if (page.kind === 'page') this.unlinkFromParent(page);
    page.shared = false;
    this.detachedPages.add(page.index);
    this.touch();
  }

  private setDepth(page: PageSpec, depth: number): void {
    page.depth = depth;
    for (const child of page.childPages) this.setDepth(this.pages[child], depth + 1);
    for (const d of page.childDatabases) for (const row of this.databases[d].rows) this.pages[row].depth = depth + 1;
  }


  describePage(p: PageSpec): TwinPage {
    let parent: TwinPage['parent'];
    if (p.parent.type === 'workspace') parent = { type: 'workspace' };
    else if (p.parent.type === 'page_id') parent = { type: 'page_id', pageId: this.pages[p.parent.page].id };
    else {
      const db = this.databases[p.parent.database];
      parent = { type: 'data_source_id', dataSourceId: db.dataSources[p.parent.source].id, databaseId: db.id };
    }
    const access = this.pageAccess(p);
    return {
      id: p.id,
      title: p.title,
      kind: p.kind,
      shared: access !== 'gone',
      inTrash: access === 'trashed',
      parent,
      depth: p.depth,
      url: notionUrl(p.id, p.title),
      large: p.large,
      createdTime: minuteIso(p.createdMs),
      lastEditedTime: minuteIso(this.editState(p).editedMs),
    };
  }

  /** Ids of the rows a database lists: neither in the trash themselves nor gone. */
  private listedRows(rows: readonly number[]): string[] {
    const out: string[] = [];
    for (const i of rows) {
      const row = this.pages[i];
      if (!this.trashedPageSet.has(i) && row.shared && !this.detachedPages.has(i)) out.push(row.id);
    }
    return out;
  }

  describeDatabase(db: DatabaseSpec): TwinDatabase {
    return {
      id: db.id,
      dataSourceId: db.dataSourceId,
      title: db.title,
      parentPageId: db.parentPage >= 0 ? this.pages[db.parentPage].id : null,
      isInline: db.inline,
      inTrash: this.databaseAccess(db) === 'trashed',
      rowIds: this.listedRows(db.rows),
      dataSources: db.dataSources.map((ds) => ({
        id: ds.id,
        name: ds.name,
        schema: ds.schema,
        rowIds: this.listedRows(ds.rows),
        properties: schemaOf(ds).map((def) => def.name),
        lastEditedTime: minuteIso(this.dataSourceEditedMs(db, ds)),
      })),
    };
  }
}

/** Title of the crowded row: "Sync with @A, @B, …" (each name a user mention in its rich text). */
function crowdedTitle(users: readonly UserSpec[]): string {
  return `Sync with ${users.map((u) => `@${u.name ?? 'Anonymous'}`).join(', ')}`;
}

/** The first database's second row, whose title, `Owner` and `Notes` hold `manyMentionRefs` references. */
export function isCrowdedRow(ws: Workspace, page: PageSpec): boolean {
  return ws.options.manyMentionRefs > 0 && page.parent.type === 'data_source_id' && page.parent.database === 0 && page.parent.source === 0 && page.rowNumber === 1;
}

export function generateWorkspace(opts: WorkspaceOptions = {}): Workspace {
  return new Workspace(opts);
}

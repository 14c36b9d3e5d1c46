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
  /** false for pages that appear as `child_page` blocks but answer 404. */
  shared: boolean;
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
  rowIds: string[];
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
  /** Rows of every data source, in data source order. */
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
  if (o.pages + o.unsharedPages + o.databases * perDatabase >= 0xfffff) {
    throw new RangeError('workspace too large: at most ~1,000,000 pages');
  }
  return o;
}

interface EditState {
  count: number;
  editedMs: number;
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
  private readonly edits = new Map<number, EditState>();
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

  /** Search candidates (shared pages and data sources), most recently edited first. */
  searchItems(): readonly SearchItem[] {
    if (this.searchOrder === null) {
      const items: Array<SearchItem & { t: number }> = [];
      for (const p of this.pages) if (p.shared) items.push({ kind: 'page', index: p.index, source: 0, t: this.editState(p).editedMs });
      for (const db of this.databases) for (const ds of db.dataSources) items.push({ kind: 'data_source', index: db.index, source: ds.source, t: db.editedMs - ds.source * MINUTE });
      items.sort((x, y) => y.t - x.t || (x.kind === y.kind ? x.index - y.index || x.source - y.source : x.kind === 'page' ? -1 : 1));
      this.searchOrder = items.map(({ kind, index, source }) => ({ kind, index, source }));
    }
    return this.searchOrder;
  }

  /** The user with the given 1-based index (0 = the bot). */
  userId(index: number): string {
    return index === 0 ? this.botUserId : this.users[index - 1].id;
  }

  // ---- public API ---------------------------------------------------------------------------

  /** Every page the token can see, rows included, each exactly once (generation order). */
  allPages(): TwinPage[] {
    return this.pages.filter((p) => p.shared).map((p) => this.describePage(p));
  }

  /** Pages that appear as `child_page` blocks but answer 404 object_not_found. */
  unsharedPages(): TwinPage[] {
    return this.pages.filter((p) => !p.shared).map((p) => this.describePage(p));
  }

  /** Shared pages whose parent is the workspace. */
  rootPages(): TwinPage[] {
    return this.pages.filter((p) => p.shared && p.parent.type === 'workspace').map((p) => this.describePage(p));
  }

  /** Every database, one entry each (its data sources in `dataSources`). Linked views are not databases. */
  allDatabases(): TwinDatabase[] {
    return this.databases.map((db) => this.describeDatabase(db));
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
      if (!p.shared) unshared++;
      else if (p.kind === 'row') rows++;
      else pages++;
    }
    let dataSources = 0;
    for (const db of this.databases) dataSources += db.dataSources.length;
    return { pages, rows, unshared, databases: this.databases.length, dataSources, linkedDatabases: this.linked.length, users: this.users.length + 1 };
  }

  /**
   * Simulates an edit in Notion: bumps the page's `last_edited_time` (to `atMs`, default now) and
   * changes the text of its first text block. Returns the new edit count.
   */
  editPage(id: string, atMs: number = Date.now()): number {
    const r = this.resolve(id);
    if (r.kind !== 'page') throw new Error(`editPage: unknown page ${id}`);
    const count = this.editState(r.page).count + 1;
    this.edits.set(r.page.index, { count, editedMs: Math.max(atMs, r.page.editedMs) });
    this.searchOrder = null;
    return count;
  }

  describePage(p: PageSpec): TwinPage {
    let parent: TwinPage['parent'];
    if (p.parent.type === 'workspace') parent = { type: 'workspace' };
    else if (p.parent.type === 'page_id') parent = { type: 'page_id', pageId: this.pages[p.parent.page].id };
    else {
      const db = this.databases[p.parent.database];
      parent = { type: 'data_source_id', dataSourceId: db.dataSources[p.parent.source].id, databaseId: db.id };
    }
    return {
      id: p.id,
      title: p.title,
      kind: p.kind,
      shared: p.shared,
      parent,
      depth: p.depth,
      url: notionUrl(p.id, p.title),
      large: p.large,
      createdTime: minuteIso(p.createdMs),
      lastEditedTime: minuteIso(this.editState(p).editedMs),
    };
  }

  describeDatabase(db: DatabaseSpec): TwinDatabase {
    return {
      id: db.id,
      dataSourceId: db.dataSourceId,
      title: db.title,
      parentPageId: db.parentPage >= 0 ? this.pages[db.parentPage].id : null,
      isInline: db.inline,
      rowIds: db.rows.map((i) => this.pages[i].id),
      dataSources: db.dataSources.map((ds) => ({ id: ds.id, name: ds.name, schema: ds.schema, rowIds: ds.rows.map((i) => this.pages[i].id) })),
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

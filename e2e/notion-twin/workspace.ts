/**
 * The twin's generated workspace: a deterministic tree of pages, databases (one data source each)
 * and rows, derived from a seed.
 *
 * Only compact specs are stored (one small record per page and database). Page bodies, property
 * values and response objects are derived on demand from the seed, so a 10,000-page workspace costs
 * a few megabytes. Ids are reversible (see ids.ts): a block id names its page and position without
 * an index.
 */
import { compactId, hashInts, IdCodec, IdKind, Rng } from './ids';
import { notionUrl } from './rich-text';
import { DATABASE_TITLES, EMOJIS, PERSON_NAMES, randomTitle, TRICKY_TITLES } from './words';

export interface WorkspaceOptions {
  /** PRNG seed; same seed → same workspace, ids included. Default 1. */
  seed?: number;
  /** Ordinary (non-row) shared pages. Default 50. */
  pages?: number;
  /** Databases, each with one data source. Default 3. */
  databases?: number;
  /** Rows per database. Default 20 (the first database gets more when `manyRelationRefs` needs them). */
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
};

/** Where a page hangs (internal, index-based). */
export type PageParentSpec =
  | { type: 'workspace' }
  | { type: 'page_id'; page: number }
  | { type: 'data_source_id'; database: number };

/** Compact record of one page (internal). */
export interface PageSpec {
  index: number;
  id: string;
  title: string;
  kind: 'page' | 'row';
  shared: boolean;
  parent: PageParentSpec;
  depth: number;
  /** Position within its database (rows only), else -1. */
  rowNumber: number;
  large: boolean;
  createdMs: number;
  editedMs: number;
  /** Index into EMOJIS, or -1 for no icon. */
  icon: number;
  hasCover: boolean;
  /** Page indices shown as `child_page` blocks, in creation order (includes unshared pages). */
  childPages: number[];
  /** Database indices shown as `child_database` blocks. */
  childDatabases: number[];
  createdBy: number;
  editedBy: number;
}

/** Compact record of one database and its single data source (internal). */
export interface DatabaseSpec {
  index: number;
  id: string;
  dataSourceId: string;
  title: string;
  /** Page index of the page holding the `child_database` block, or -1 for a workspace-level database. */
  parentPage: number;
  inline: boolean;
  rows: number[];
  createdMs: number;
  editedMs: number;
  icon: number;
}

export interface UserSpec {
  index: number;
  id: string;
  name: string;
  email: string;
  avatarUrl: string | null;
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

/** A database as tests see it. */
export interface TwinDatabase {
  id: string;
  dataSourceId: string;
  title: string;
  /** Page holding the `child_database` block (null for a workspace-level database). */
  parentPageId: string | null;
  isInline: boolean;
  rowIds: string[];
}

/** What an id resolves to (internal). */
export type Resolved =
  | { kind: 'page'; page: PageSpec }
  | { kind: 'database'; db: DatabaseSpec }
  | { kind: 'data_source'; db: DatabaseSpec }
  | { kind: 'block'; page: PageSpec; block: number }
  | { kind: 'user'; user: UserSpec }
  | { kind: 'comment'; page: PageSpec; n: number }
  | { kind: 'none' };

const MINUTE = 60_000;
const BASE_MS = Date.UTC(2025, 0, 6, 9, 0);

/** ISO timestamp rounded down to the minute, as Notion returns for pages, blocks and data sources. */
export function minuteIso(ms: number): string {
  return new Date(Math.floor(ms / MINUTE) * MINUTE).toISOString();
}

/** `2026-07-04T09:08:57.778+00:00`, the format Notion uses for database timestamps. */
export function databaseIso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
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
  readonly users: UserSpec[] = [];
  private readonly edits = new Map<number, EditState>();
  private searchOrder: Array<{ kind: 'page' | 'data_source'; index: number }> | null = null;

  constructor(options: WorkspaceOptions = {}) {
    const o: ResolvedWorkspaceOptions = { ...DEFAULT_WORKSPACE_OPTIONS };
    for (const [key, value] of Object.entries(options)) {
      if (!(key in DEFAULT_WORKSPACE_OPTIONS)) throw new RangeError(`unknown WorkspaceOptions.${key}`);
      if (value !== undefined) Object.assign(o, { [key]: value });
    }
    for (const [key, value] of Object.entries(o)) {
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`WorkspaceOptions.${key} must be a non-negative integer, got ${value}`);
    }
    if (o.pages + o.unsharedPages + o.databases * Math.max(o.rowsPerDatabase, o.manyRelationRefs + 1) >= 0xfffff) {
      throw new RangeError('workspace too large: at most ~1,000,000 pages');
    }
    this.options = o;
    this.codec = new IdCodec(o.seed);
    this.botUserId = this.codec.encode(IdKind.user, 0);
    this.workspaceId = this.codec.encode(IdKind.workspace, 0);
    this.generate();
  }

  private generate(): void {
    const o = this.options;
    const rng = new Rng(hashInts(o.seed, 0x57a7));
    PERSON_NAMES.forEach((name, i) => {
      const first = name.split(' ')[0].toLowerCase();
      this.users.push({
        index: i + 1,
        id: this.codec.encode(IdKind.user, i + 1),
        name,
        email: `${first}@twin.example`,
        avatarUrl: i % 3 === 2 ? null : `https://avatars.twin.example/${first}.png`,
      });
    });

    // Ordinary pages: a few roots, a chain reaching the full depth, then random attachment.
    const n = o.pages;
    const roots = n === 0 ? 0 : Math.min(8, Math.max(1, Math.ceil(n / 20)));
    const eligible: number[] = [];
    for (let i = 0; i < n; i++) {
      let parent: PageParentSpec = { type: 'workspace' };
      let depth = 0;
      if (i >= roots) {
        const chainStep = i - roots;
        const parentIndex = chainStep < o.depth ? (chainStep === 0 ? 0 : i - 1) : eligible.length > 0 ? rng.pick(eligible) : 0;
        parent = { type: 'page_id', page: parentIndex };
        depth = this.pages[parentIndex].depth + 1;
      }
      const title = i % 5 === 4 ? TRICKY_TITLES[Math.floor(i / 5) % TRICKY_TITLES.length] : i === 0 ? 'Block gallery' : randomTitle(rng);
      const page = this.newPage(rng, { title, kind: 'page', shared: true, parent, depth, rowNumber: -1, createdMs: BASE_MS + i * 7 * MINUTE });
      if (parent.type === 'page_id') this.pages[parent.page].childPages.push(page.index);
      if (depth < o.depth) eligible.push(page.index);
    }

    // Large pages: never the gallery unless it is the only page.
    const candidates: number[] = [];
    for (let i = n > 1 ? 1 : 0; i < n; i++) candidates.push(i);
    for (let k = 0; k < Math.min(o.largePages, candidates.length); k++) {
      const j = k + Math.floor(rng.float() * (candidates.length - k));
      [candidates[k], candidates[j]] = [candidates[j], candidates[k]];
      this.pages[candidates[k]].large = true;
    }

    // Unshared pages: listed as child_page blocks of a shared page, 404 when fetched.
    for (let u = 0; u < o.unsharedPages && n > 0; u++) {
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

    // Databases and their rows.
    for (let d = 0; d < o.databases; d++) {
      const parentPage = n > 0 ? rng.int(0, n - 1) : -1;
      const createdMs = BASE_MS + d * 3 * 24 * 60 * MINUTE + rng.int(0, 59_999);
      const db: DatabaseSpec = {
        index: d,
        id: this.codec.encode(IdKind.database, d),
        dataSourceId: this.codec.encode(IdKind.dataSource, d),
        title: `${DATABASE_TITLES[d % DATABASE_TITLES.length]}${d >= DATABASE_TITLES.length ? ` ${Math.floor(d / DATABASE_TITLES.length) + 1}` : ''}`,
        parentPage,
        inline: rng.chance(0.5),
        rows: [],
        createdMs,
        editedMs: createdMs + rng.int(0, 30 * 24 * 60) * MINUTE,
        icon: rng.chance(0.6) ? rng.int(0, EMOJIS.length - 1) : -1,
      };
      this.databases.push(db);
      if (parentPage >= 0) this.pages[parentPage].childDatabases.push(d);
      const rowCount = d === 0 && o.manyRelationRefs > 0 ? Math.max(o.rowsPerDatabase, o.manyRelationRefs + 1) : o.rowsPerDatabase;
      const depth = parentPage >= 0 ? this.pages[parentPage].depth + 1 : 0;
      for (let r = 0; r < rowCount; r++) {
        const title = r % 9 === 8 ? TRICKY_TITLES[(r + d) % TRICKY_TITLES.length] : `${randomTitle(rng)} #${r + 1}`;
        const page = this.newPage(rng, {
          title,
          kind: 'row',
          shared: true,
          parent: { type: 'data_source_id', database: d },
          depth,
          rowNumber: r,
          createdMs: db.createdMs - (db.createdMs % MINUTE) + (r + 1) * 13 * MINUTE,
        });
        db.rows.push(page.index);
      }
    }
  }

  private newPage(
    rng: Rng,
    p: Pick<PageSpec, 'title' | 'kind' | 'shared' | 'parent' | 'depth' | 'rowNumber' | 'createdMs'>,
  ): PageSpec {
    const index = this.pages.length;
    const createdMs = p.createdMs - (p.createdMs % MINUTE);
    const spec: PageSpec = {
      ...p,
      index,
      id: this.codec.encode(IdKind.page, index),
      createdMs,
      editedMs: createdMs + rng.int(0, 120 * 24 * 60) * MINUTE,
      large: false,
      icon: rng.chance(0.5) ? rng.int(0, EMOJIS.length - 1) : -1,
      hasCover: rng.chance(0.15),
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
      case IdKind.dataSource:
        return d.b === 0 && d.a < this.databases.length ? { kind: 'data_source', db: this.databases[d.a] } : { kind: 'none' };
      case IdKind.block:
        return d.a < this.pages.length && d.b > 0 ? { kind: 'block', page: this.pages[d.a], block: d.b } : { kind: 'none' };
      case IdKind.user: {
        if (d.b !== 0) return { kind: 'none' };
        const user = this.users[d.a - 1];
        return user ? { kind: 'user', user } : { kind: 'none' };
      }
      case IdKind.comment:
        return d.a < this.pages.length ? { kind: 'comment', page: this.pages[d.a], n: d.b } : { kind: 'none' };
      default:
        return { kind: 'none' };
    }
  }

  /** Edit count and effective last-edited time of a page. */
  editState(page: PageSpec): EditState {
    return this.edits.get(page.index) ?? { count: 0, editedMs: page.editedMs };
  }

  /** Search candidates (shared pages and data sources), most recently edited first. */
  searchItems(): ReadonlyArray<{ kind: 'page' | 'data_source'; index: number }> {
    if (this.searchOrder === null) {
      const items: Array<{ kind: 'page' | 'data_source'; index: number; t: number }> = [];
      for (const p of this.pages) if (p.shared) items.push({ kind: 'page', index: p.index, t: this.editState(p).editedMs });
      for (const db of this.databases) items.push({ kind: 'data_source', index: db.index, t: db.editedMs });
      items.sort((x, y) => y.t - x.t || (x.kind === y.kind ? x.index - y.index : x.kind === 'page' ? -1 : 1));
      this.searchOrder = items.map(({ kind, index }) => ({ kind, index }));
    }
    return this.searchOrder;
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

  allDatabases(): TwinDatabase[] {
    return this.databases.map((db) => this.describeDatabase(db));
  }

  /** A page (shared or not) by id, dashed or not. */
  page(id: string): TwinPage | undefined {
    const r = this.resolve(id);
    return r.kind === 'page' ? this.describePage(r.page) : undefined;
  }

  /** A database by its database id or its data source id. */
  database(id: string): TwinDatabase | undefined {
    const r = this.resolve(id);
    return r.kind === 'database' || r.kind === 'data_source' ? this.describeDatabase(r.db) : undefined;
  }

  /** Counts for assertions and logs. */
  summary(): { pages: number; rows: number; unshared: number; databases: number; users: number } {
    let pages = 0;
    let rows = 0;
    let unshared = 0;
    for (const p of this.pages) {
      if (!p.shared) unshared++;
      else if (p.kind === 'row') rows++;
      else pages++;
    }
    return { pages, rows, unshared, databases: this.databases.length, users: this.users.length + 1 };
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
    const parent: TwinPage['parent'] =
      p.parent.type === 'workspace'
        ? { type: 'workspace' }
        : p.parent.type === 'page_id'
          ? { type: 'page_id', pageId: this.pages[p.parent.page].id }
          : {
              type: 'data_source_id',
              dataSourceId: this.databases[p.parent.database].dataSourceId,
              databaseId: this.databases[p.parent.database].id,
            };
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
    };
  }
}

export function generateWorkspace(opts: WorkspaceOptions = {}): Workspace {
  return new Workspace(opts);
}

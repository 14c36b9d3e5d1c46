/**
 * The workspace's changes over the control API (`POST /__twin/<change>`), for processes that did
 * not start the twin: the sync benchmark, browser tests, the demo. Each body is the matching
 * `Workspace` method's arguments as JSON; a change the workspace refuses answers 400 with the reason.
 */
import { isRecord } from './http';
import { ADDABLE_PROPERTY_TYPES, type AddablePropertyType, type ChangeTime, TwinChangeError, type Workspace } from './workspace';

/** A control answer: a status and a JSON body. */
export interface ChangeAnswer {
  status: number;
  body: object;
}

/** Why a body is refused (thrown while reading it, answered 400). */
class BadBody extends Error {}

type Body = Record<string, unknown>;

function requiredString(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw new BadBody(`expected ${key} (a non-empty string)`);
  return value;
}

function optionalString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadBody(`expected ${key} to be a string`);
  return value;
}

/** `atMs` if given: a finite number of milliseconds since the epoch. */
function time(body: Body): ChangeTime {
  const atMs = body.atMs;
  if (atMs === undefined) return {};
  if (typeof atMs !== 'number' || !Number.isFinite(atMs)) throw new BadBody('expected atMs to be a number of milliseconds');
  return { atMs };
}

function propertyType(body: Body): AddablePropertyType | undefined {
  const type = body.type;
  if (type === undefined) return undefined;
  const known = ADDABLE_PROPERTY_TYPES.find((t) => t === type);
  if (known === undefined) throw new BadBody(`expected type to be one of ${ADDABLE_PROPERTY_TYPES.join(', ')}`);
  return known;
}

/** The change a route names, applied; `what` is the answer's body besides `ok`. */
const CHANGES: Record<string, (ws: Workspace, body: Body) => object> = {
  'edit-page': (ws, b) => ({ edits: ws.editPage(requiredString(b, 'id'), { ...time(b), title: optionalString(b, 'title') }) }),
  'rename-page': (ws, b) => {
    ws.renamePage(requiredString(b, 'id'), requiredString(b, 'title'), time(b));
    return {};
  },
  'edit-property': (ws, b) => ({ edits: ws.editProperty(requiredString(b, 'id'), { ...time(b), property: optionalString(b, 'property') }) }),
  'add-page': (ws, b) => {
    const parentId = b.parentId === null ? null : optionalString(b, 'parentId');
    return { id: ws.addPage({ ...time(b), parentId, title: optionalString(b, 'title') }) };
  },
  'add-row': (ws, b) => ({ id: ws.addRow(requiredString(b, 'dataSourceId'), { ...time(b), title: optionalString(b, 'title') }) }),
  'move-page': (ws, b) => {
    if (b.parentId !== null && typeof b.parentId !== 'string') throw new BadBody('expected parentId (a page id, or null for the workspace root)');
    ws.movePage(requiredString(b, 'id'), { ...time(b), parentId: b.parentId });
    return {};
  },
  trash: (ws, b) => {
    ws.trash(requiredString(b, 'id'), time(b));
    return {};
  },
  restore: (ws, b) => {
    ws.restore(requiredString(b, 'id'), time(b));
    return {};
  },
  delete: (ws, b) => {
    ws.deletePermanently(requiredString(b, 'id'));
    return {};
  },
  'restrict-page': (ws, b) => {
    ws.restrictPage(requiredString(b, 'id'));
    return {};
  },
  'move-out-of-shared-tree': (ws, b) => {
    ws.movePageOutOfSharedTree(requiredString(b, 'id'), time(b));
    return {};
  },
  'edit-synced-block': (ws, b) => ({ edits: ws.editSyncedBlock(optionalString(b, 'blockId'), time(b)) }),
  'add-property': (ws, b) => ({ propertyId: ws.addProperty(requiredString(b, 'dataSourceId'), { ...time(b), name: requiredString(b, 'name'), type: propertyType(b) }) }),
  'rename-property': (ws, b) => {
    ws.renameProperty(requiredString(b, 'dataSourceId'), requiredString(b, 'property'), requiredString(b, 'name'), time(b));
    return {};
  },
  'trash-in-results': (ws, b) => {
    if (typeof b.flagged !== 'boolean') throw new BadBody('expected {flagged: boolean}');
    ws.trashInResults = b.flagged;
    return {};
  },
};


/** Answers `POST /__twin/<change>`, or null when `change` names no change. */
export function answerChange(change: string, body: unknown, ws: Workspace): ChangeAnswer | null {
  const apply = Object.hasOwn(CHANGES, change) ? CHANGES[change] : undefined;
  if (apply === undefined) return null;
  try {
    return { status: 200, body: { ok: true, ...apply(ws, isRecord(body) ? body : {}) } };
  } catch (err) {
    if (err instanceof BadBody || err instanceof TwinChangeError) return { status: 400, body: { error: err.message } };
    throw err;
  }
}

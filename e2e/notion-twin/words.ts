/** Word lists the generators draw titles and text from. */
import type { Rng } from './ids';

export const WORDS = [
  'alpha', 'roadmap', 'budget', 'design', 'review', 'launch', 'sprint', 'retro', 'hiring', 'onboarding',
  'research', 'customer', 'feedback', 'pricing', 'strategy', 'metrics', 'quarterly', 'weekly', 'planning', 'notes',
  'backlog', 'incident', 'postmortem', 'architecture', 'migration', 'security', 'audit', 'release', 'checklist', 'ideas',
  'garden', 'recipes', 'travel', 'reading', 'journal', 'habits', 'fitness', 'finance', 'tax', 'insurance',
  'kitchen', 'renovation', 'wedding', 'vacation', 'podcast', 'newsletter', 'interview', 'offsite', 'workshop', 'summit',
] as const;

export const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'We agreed to revisit the decision after the next release.',
  'Numbers below are estimates and will change as we learn more.',
  'Ask the team before changing anything in this section.',
  'This paragraph exists to make the page look lived in.',
  'Remember to export a copy before the migration starts.',
  'Action items are tracked in the task database.',
  'Latency improved by roughly a third after the cache change.',
  'Open questions are listed at the end of the document.',
  'Draft — not reviewed yet.',
  'Owners should update their status every Friday.',
  'See the linked page for the full background.',
] as const;

/** A 300-character ASCII title. */
export const LONG_TITLE = `${`A very long title ${'that keeps going and going '.repeat(11)}`.slice(0, 286)} until it ends`;
/** A 300-character title of multi-byte characters (900 bytes of UTF-8). */
export const LONG_WIDE_TITLE = '長い題名の頁'.repeat(50);

/**
 * Titles that stress exporters: path separators, reserved names, quotes, emoji, very long text,
 * duplicates, an empty title and surrounding spaces. Cycled over every fifth page and ninth row.
 */
export const TRICKY_TITLES = [
  'Q3/Q4 Roadmap: "Draft"?',
  'CON',
  'Café ☕ — naïve résumé',
  'Trailing dots...',
  'Meeting notes',
  'Meeting notes',
  '',
  '<script>alert(1)</script> & friends',
  'Emoji 🚀🔥 launch',
  'back\\slash | pipe * star',
  '   padded title   ',
  '日本語のページ',
  'aux.txt',
  LONG_TITLE,
] as const;

/**
 * Titles of sibling pages under the "Block gallery" root: every character Windows forbids
 * (`/ \\ : * ? " < > |`), reserved device names, trailing dots and spaces, `.` and `..`, empty
 * titles, exact duplicates, case-only and Unicode-normalisation-only duplicates, emoji (incl. a ZWJ
 * sequence), HTML, URL-significant characters and 300-character titles.
 */
export const SIBLING_TITLES = [
  'Q3/Q4 Roadmap: "Draft"?',
  'back\\slash | pipe * star <angle> brackets',
  'CON',
  'nul',
  'com1.txt',
  'Trailing dots...',
  'Trailing space ',
  '   padded title   ',
  '',
  '',
  'Meeting notes',
  'Meeting notes',
  'MEETING NOTES',
  'Caf\u00e9',
  'Cafe\u0301',
  '.',
  '..',
  'Emoji 🚀🔥 launch',
  '👩‍👩‍👧‍👦',
  '<script>alert(1)</script> & friends',
  '#hash %20percent &amp; ?query=1',
  '日本語のページ',
  LONG_TITLE,
  LONG_WIDE_TITLE,
] as const;

export const DATABASE_TITLES = ['Tasks', 'Projects', 'Reading list', 'Bugs / Issues', 'Contacts', 'Meetings', 'Recipes', 'Inventory'] as const;

export const PERSON_NAMES = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Linus Torvalds', 'Margaret Hamilton'] as const;

/**
 * Guests: more people than the 25 references a page object shows, so a `people` property or a
 * rich text with > 25 person mentions can be filled. The last guest has no name (`name: null`).
 */
export const GUEST_NAMES: readonly (string | null)[] = [
  'Barbara Liskov', 'Edsger Dijkstra', 'Donald Knuth', 'Frances Allen', 'John McCarthy', 'Radia Perlman',
  'Ken Thompson', 'Dennis Ritchie', 'Hedy Lamarr', 'Tim Berners-Lee', 'Adele Goldberg', 'Niklaus Wirth',
  'Sophie Wilson', 'Guido van Rossum', 'Annie Easley', 'Bjarne Stroustrup', 'Shafi Goldwasser', 'Leslie Lamport',
  'Evelyn Berezin', 'Vint Cerf', 'Mary Kenneth Keller', 'Tony Hoare', 'Jean Sammet', 'Whitfield Diffie',
  'Éva Tardos', null,
];

/** The workspace's custom emojis (`custom_emoji` icons and mentions, `GET /v1/custom_emojis`). */
export const CUSTOM_EMOJI_NAMES = ['party-parrot', 'shipit', 'this-is-fine'] as const;

/** Native Notion icons (`icon.type: "icon"`). */
export const NATIVE_ICONS = [
  { name: 'book-closed', color: 'lightgray' },
  { name: 'checkmark', color: 'green' },
  { name: 'document', color: 'blue' },
] as const;

export const EMOJIS = ['📄', '🚀', '📊', '🗂️', '🧪', '📝', '🌱', '🔥', '✅', '💡'] as const;

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A title of 2–4 words, e.g. "Quarterly pricing review". */
export function randomTitle(rng: Rng): string {
  const n = rng.int(2, 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(rng.pick(WORDS));
  return capitalise(parts.join(' '));
}

export function randomSentence(rng: Rng): string {
  return rng.pick(SENTENCES);
}

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

/**
 * Titles that stress exporters: path separators, reserved names, quotes, emoji, very long text,
 * duplicates, an empty title and surrounding spaces.
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
  `A very long title ${'that keeps going and going '.repeat(10)}until it ends`,
] as const;

export const DATABASE_TITLES = ['Tasks', 'Projects', 'Reading list', 'Bugs / Issues', 'Contacts', 'Meetings', 'Recipes', 'Inventory'] as const;

export const PERSON_NAMES = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Linus Torvalds', 'Margaret Hamilton'] as const;

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

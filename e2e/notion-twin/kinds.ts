/** Small enumerations shared by the generator and the renderers. */

/** Kinds of page/database icons. */
export const IconType = { none: 0, emoji: 1, external: 2, file: 3, customEmoji: 4, native: 5 } as const;
export type IconType = (typeof IconType)[keyof typeof IconType];

/** Kinds of covers. */
export const CoverType = { none: 0, external: 1, file: 2 } as const;
export type CoverType = (typeof CoverType)[keyof typeof CoverType];

/**
 * The stems of many items' files, held in little memory: most stems are their item's title and
 * id (`"Title <32-hex id>"`, or `"Title"` in clean naming), so only the part that differs from
 * them is kept (nothing at all for most items). `get` gives back the very same stem.
 */
export class StemList {
  /** What is kept of stem i: '' when it is its title. */
  private readonly heads: string[] = [];
  /** Per stem: ID_TAIL when it ends with ` <id without dashes>` (not kept), TITLE_HEAD when the rest is its title. */
  private forms = new Uint8Array(256);

  get length(): number {
    return this.heads.length;
  }

  push(title: string, id: string, stem: string): void {
    const tail = ` ${id.replaceAll('-', '')}`;
    let form = 0;
    let head = stem;
    if (head.length > tail.length && head.endsWith(tail)) {
      form |= ID_TAIL;
      head = head.slice(0, -tail.length);
    }
    if (head === title) {
      form |= TITLE_HEAD;
      head = '';
    }
    if (this.heads.length === this.forms.length) {
      const grown = new Uint8Array(this.forms.length * 2);
      grown.set(this.forms);
      this.forms = grown;
    }
    this.forms[this.heads.length] = form;
    this.heads.push(head);
  }

  /** Stem i, given the title and id it was pushed with. */
  get(i: number, title: string, id: string): string {
    const form = this.forms[i];
    const head = form & TITLE_HEAD ? title : this.heads[i];
    return form & ID_TAIL ? `${head} ${id.replaceAll('-', '')}` : head;
  }
}

const ID_TAIL = 1;
const TITLE_HEAD = 2;

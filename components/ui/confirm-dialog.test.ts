import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ConfirmDialog, type ConfirmDialogProps } from './confirm-dialog';

/** The dialog's markup as the server renders it (the browser opens it with showModal once mounted). */
function markup(props: Partial<ConfirmDialogProps> = {}): string {
  return renderToStaticMarkup(
    createElement(ConfirmDialog, {
      open: true,
      title: 'Remove “Team”?',
      confirmLabel: 'Remove connection',
      onConfirm: () => {},
      onCancel: () => {},
      // biome-ignore lint/correctness/noChildrenProp: createElement in a .ts test; the body is what the dialog describes itself by.
      children: createElement('p', null, 'Its token is no longer used.'),
      ...props,
    }),
  );
}

/** Each button's text and what it is: submit or not, disabled, focused first. */
const buttons = (html: string) =>
  [...html.matchAll(/<button([^>]*)>([^<]*)<\/button>/g)].map(([, attributes = '', text]) => ({
    text,
    submit: attributes.includes(' type="submit"'),
    disabled: attributes.includes(' disabled=""'),
    focused: attributes.includes(' autofocus=""'),
  }));

describe('ConfirmDialog', () => {
  it('is named by its title and described by its body', () => {
    const html = markup();
    const labelledBy = /<dialog[^>]*aria-labelledby="([^"]+)"/.exec(html)?.[1];
    const describedBy = /<dialog[^>]*aria-describedby="([^"]+)"/.exec(html)?.[1];
    expect(html).toContain(`<h2 id="${labelledBy}"`);
    expect(html).toMatch(new RegExp(`<div id="${describedBy}"[^>]*><p>Its token is no longer used.</p></div>`));
    expect(labelledBy).not.toBe(describedBy);
  });

  it('puts the safe button first, with the focus, and the labels each caller chose', () => {
    expect(buttons(markup({ cancelLabel: 'Keep it running', confirmLabel: 'Cancel export' }))).toEqual([
      { text: 'Keep it running', submit: false, disabled: false, focused: true },
      { text: 'Cancel export', submit: true, disabled: false, focused: false },
    ]);
    expect(buttons(markup())[0]?.text).toBe('Cancel');
  });

  it('while the action runs: both buttons wait, and the confirm button says what is happening', () => {
    expect(buttons(markup({ pending: true, pendingLabel: 'Removing…' }))).toMatchObject([
      { text: 'Cancel', disabled: true },
      { text: 'Removing…', disabled: true },
    ]);
    expect(buttons(markup({ pending: true }))[1]?.text).toBe('Working…');
  });

  it('can refuse to confirm while leaving the way out open', () => {
    expect(buttons(markup({ confirmDisabled: true }))).toMatchObject([
      { text: 'Cancel', disabled: false },
      { text: 'Remove connection', disabled: true },
    ]);
  });

  it('shows why the action failed as an alert, and nothing when it did not', () => {
    expect(markup({ error: 'The last admin cannot be removed' })).toMatch(/<p role="alert"[^>]*>The last admin cannot be removed<\/p>/);
    expect(markup()).not.toContain('role="alert"');
  });
});

/**
 * A fragment of HTML that is safe to insert as it is: built by {@link html} (every interpolated
 * value escaped) or, for text colibri wrote itself, by {@link trusted}. The only way to get
 * markup into a page, so an unescaped string cannot slip in by accident.
 */
export class SafeHtml {
  readonly #text: string;

  /** Use {@link html} or {@link trusted}; the constructor is not for strings from outside. */
  private constructor(text: string) {
    this.#text = text;
  }

  /** @internal the one place that builds a SafeHtml */
  static of(text: string): SafeHtml {
    return new SafeHtml(text);
  }

  toString(): string {
    return this.#text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Escapes text for an HTML text node or a quoted attribute value (`&<>"'` and the backtick).
 * Control characters other than tab and newline are dropped: they have no business in a page.
 */
export function escapeHtml(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point
  return text.replace(/[&<>"'`]|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => ESCAPES[c] ?? '');
}

/** What a template may interpolate: text (escaped), numbers, safe fragments, lists of them, nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * The board's template tag: `html\`<td>${task.title}</td>\`` escapes every interpolated value
 * unless it is already a {@link SafeHtml}; arrays are joined; `null`, `undefined` and booleans
 * render as nothing (so `${cond && html\`…\`}` works). Interpolate only into text or into quoted
 * attribute values, never into a tag name, an unquoted attribute, a URL scheme, a script or a style.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return SafeHtml.of(out);
}

/** Markup colibri wrote itself (never data): e.g. a constant `<br>`. */
export function trusted(markup: string): SafeHtml {
  return SafeHtml.of(markup);
}

/** A path segment for a link: `/board/tasks/${segment(id)}`. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

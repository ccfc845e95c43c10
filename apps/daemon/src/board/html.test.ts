import { describe, expect, it } from 'vitest';
import { escapeHtml, html, SafeHtml, segment, trusted } from './html.js';

describe('html', () => {
  it('escapes every interpolated string, in text and in quoted attributes', () => {
    const title = `<img src=x onerror=alert(1)>"'&\``;
    expect(html`<td title="${title}">${title}</td>`.toString()).toBe(
      '<td title="&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;&#96;">&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;&#96;</td>',
    );
  });

  it('keeps fragments built by html or trusted as they are, escapes everything else', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${trusted('<br>')}${'<br>'}</p>`.toString()).toBe(
      '<p><b>&lt;i&gt;</b><br>&lt;br&gt;</p>',
    );
  });

  it('joins arrays and renders nothing for null, undefined and booleans', () => {
    const rows = ['a<', 'b>'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${rows}${null}${undefined}${false}${true}${0}</ul>`.toString()).toBe(
      '<ul><li>a&lt;</li><li>b&gt;</li>0</ul>',
    );
  });

  it('does not treat an object that looks like a fragment as safe', () => {
    const fake = { toString: () => '<script>alert(1)</script>' } as unknown as string;
    expect(html`${fake}`.toString()).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html`${'x'}`).toBeInstanceOf(SafeHtml);
  });

  it('drops control characters, keeps tabs, newlines and other scripts', () => {
    expect(escapeHtml('a\u0000b\u001bc\td\ne\u007f — 日本')).toBe('abc\td\ne — 日本');
  });

  it('encodes a path segment', () => {
    expect(segment('a/b?c#d "e"')).toBe('a%2Fb%3Fc%23d%20%22e%22');
  });
});

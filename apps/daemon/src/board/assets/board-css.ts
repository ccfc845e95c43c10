/** The board's stylesheet (served as /board/assets/board.css; the CSP allows no inline style). */
export const BOARD_CSS = `:root {
  color-scheme: light dark;
  --bg: #f7f7f5; --fg: #1d1f21; --muted: #6b6f76; --line: #dcdcd7; --card: #ffffff;
  --accent: #2d6cdf; --ok: #1d7f4e; --warn: #a15c00; --bad: #b3261e; --chip: #eceae4;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #15171a; --fg: #e6e6e3; --muted: #9aa0a8; --line: #30343a; --card: #1d2024;
    --accent: #7aa7ff; --ok: #5ccf8f; --warn: #f0b35a; --bad: #ff8a80; --chip: #2a2e34; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 20px;
  background: var(--card); border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 700; font-size: 16px; margin-right: 8px; }
header.top .viewer { color: var(--muted); }
header.top form { display: flex; gap: 6px; align-items: center; margin: 0; }
header.top .spacer { flex: 1; }
input, select, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: 4px 8px; }
button { cursor: pointer; background: var(--chip); }
button.danger { border-color: var(--bad); color: var(--bad); }
main { padding: 16px 20px 40px; max-width: 1400px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
  margin: 0 0 16px; overflow-x: auto; }
section h2 { font-size: 15px; margin: 0 0 8px; }
section h2 .count { color: var(--muted); font-weight: 400; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; margin: 0 0 16px; }
.grid section { margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
tr:last-child td { border-bottom: 0; }
.tag { display: inline-block; background: var(--chip); border-radius: 4px; padding: 0 6px; margin: 1px 2px 1px 0;
  font: 12px/1.6 ui-monospace, SFMono-Regular, Menlo, monospace; }
.tag.never { background: transparent; border: 1px dashed var(--warn); color: var(--warn); }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; border: 1px solid var(--line); }
.badge.bad { color: var(--bad); border-color: var(--bad); }
.badge.ok { color: var(--ok); border-color: var(--ok); }
.badge.warn { color: var(--warn); border-color: var(--warn); }
.status { font-weight: 600; }
.status-idle, .status-done, .status-active, .status-provisioned { color: var(--ok); }
.status-offline, .status-failed { color: var(--bad); }
.status-parked, .status-pending, .status-cancelled, .status-expired { color: var(--warn); }
.status-assigned, .status-running { color: var(--accent); }
.muted { color: var(--muted); }
.reason { color: var(--muted); font-size: 13px; }
.reason strong { color: var(--fg); font-weight: 600; }
.mono, .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto;
  max-height: 320px; white-space: pre-wrap; word-break: break-word; font-size: 12px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px 18px; margin: 0 0 14px; }
.counts div { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; }
.counts b { font-size: 18px; display: block; }
.counts span { color: var(--muted); font-size: 12px; }
#live-state[data-state="live"] { color: var(--ok); border-color: var(--ok); }
#live-state[data-state="down"] { color: var(--bad); border-color: var(--bad); }
.login { max-width: 460px; margin: 10vh auto; }
.login input[type=password] { width: 100%; margin: 6px 0 10px; }
.error { color: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
`;

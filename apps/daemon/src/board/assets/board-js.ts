/**
 * The board's own script (served as /board/assets/board.js; the CSP allows no inline script):
 * shows whether the live connection is up, and refreshes the page's live part after the
 * connection comes back, since changes made meanwhile were not pushed.
 */
export const BOARD_JS = `(function () {
  'use strict';
  var opened = false;
  function mark(state, text) {
    var badge = document.getElementById('live-state');
    if (badge) {
      badge.setAttribute('data-state', state);
      badge.textContent = text;
    }
  }
  document.addEventListener('htmx:sseOpen', function () {
    mark('live', 'live');
    if (opened) {
      var live = document.getElementById('live');
      if (live && window.htmx) window.htmx.trigger(live, 'board:refresh');
    }
    opened = true;
  });
  document.addEventListener('htmx:sseError', function () {
    mark('down', 'reconnecting');
  });
})();
`;

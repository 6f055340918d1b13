// Fleet dashboard: keeps the open page current. The server's event stream (the event feed, filtered to this page)
// says when something changed; the page then fetches itself again and swaps its main content, without a reload.
(() => {
  'use strict';
  const main = document.querySelector('main[data-live]');
  const status = document.getElementById('live-status');
  if (!main || !('EventSource' in window)) {
    return;
  }

  const say = text => { if (status) { status.textContent = text; } };
  let timer = null;
  let busy = false;

  // Someone typing a reason or choosing a filter keeps what they typed: the refresh waits until they leave the form.
  const editing = () => {
    const active = document.activeElement;
    return active && main.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  };

  const refresh = async () => {
    if (busy || editing()) {
      schedule(1000);
      return;
    }

    busy = true;
    try {
      const response = await fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } });
      if (!response.ok) {
        say(`live (last refresh answered ${response.status})`);
        return;
      }

      const next = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('main');
      if (next) {
        main.innerHTML = next.innerHTML;
        main.dataset.updated = String(Date.now());
        say(`live · updated ${new Date().toLocaleTimeString()}`);
      }
    } catch (error) {
      say('live (refresh failed, retrying)');
    } finally {
      busy = false;
    }
  };

  const schedule = delay => {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  };

  // The stream opens once the page has loaded: a stream opened while it loads can hold the page's load event back.
  const connect = () => {
    const source = new EventSource(main.dataset.live);
    source.addEventListener('open', () => say('live'));
    source.addEventListener('error', () => say('reconnecting…'));
    source.addEventListener('fleet', () => schedule(200));
    source.addEventListener('tick', () => schedule(0));
  };

  if (document.readyState === 'complete') {
    connect();
  } else {
    window.addEventListener('load', connect, { once: true });
  }
})();

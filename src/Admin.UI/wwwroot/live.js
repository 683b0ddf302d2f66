// Live parts of a page: every element with data-live="URL" is fetched again every second (body data-live-interval)
// and its HTML swapped in when it changed. When the admin UI cannot be reached, or it cannot reach the control
// plane (a fragment holding [data-stale]), the page keeps what it shows and says that it is stale.
(() => {
  // Pages rendered on the server show times in the browser's time zone (and UTC): tell the server which one that is.
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const cookie = 'tz=' + encodeURIComponent(zone);
    if (zone && !document.cookie.split('; ').includes(cookie)) {
      document.cookie = cookie + '; path=/; SameSite=Strict; max-age=31536000';
      // A page that showed its times in UTC for want of the cookie shows them again in the user's zone (once).
      if (document.querySelector('[data-zone-sensitive]') && !sessionStorage.getItem('tz-reloaded')) {
        sessionStorage.setItem('tz-reloaded', '1');
        location.reload();
      }
    }
  } catch { /* no Intl: times stay in UTC */ }
  const interval = Number(document.body.dataset.liveInterval || 1000);
  const banner = document.getElementById('stale-banner');
  const stamp = document.getElementById('live-stamp');
  const shown = new WeakMap();
  let lastFresh = new Date();

  const time = d => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

  function stale(reason) {
    document.body.dataset.liveState = 'stale';
    if (banner) {
      banner.hidden = false;
      banner.querySelector('.stale-text').textContent =
        `${reason}. What you see is as of ${time(lastFresh)} and may be out of date; retrying…`;
    }
  }

  function fresh() {
    lastFresh = new Date();
    document.body.dataset.liveState = 'fresh';
    if (banner) banner.hidden = true;
    if (stamp) stamp.textContent = `live · updated ${time(lastFresh)}`;
  }

  async function refresh(element) {
    try {
      const response = await fetch(element.dataset.live, {
        credentials: 'same-origin', cache: 'no-store', headers: { 'X-Live': '1' }, signal: AbortSignal.timeout(10000),
      });
      if (response.status === 401) {
        location.href = '/login?returnUrl=' + encodeURIComponent(location.pathname + location.search);
        return;
      }
      if (!response.ok) throw new Error(`The admin UI answered ${response.status}`);
      const html = await response.text();
      const template = document.createElement('template');
      template.innerHTML = html;
      const problem = template.content.querySelector('[data-stale]');
      if (problem) {
        stale(problem.dataset.stale);
      } else {
        if (html !== shown.get(element)) {
          element.replaceChildren(template.content);
          shown.set(element, html);
        }
        fresh();
      }
    } catch (error) {
      stale(error instanceof Error && error.message.startsWith('The admin UI answered')
        ? error.message
        : 'The connection to the admin UI is lost');
    }
    setTimeout(() => refresh(element), interval);
  }

  const live = document.querySelectorAll('[data-live]');
  if (live.length > 0) {
    document.body.dataset.liveState = 'fresh';
    if (stamp) stamp.textContent = `live · updated ${time(lastFresh)}`;
  }
  live.forEach(element => setTimeout(() => refresh(element), interval));
})();

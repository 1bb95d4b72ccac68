import { createHash } from 'crypto';
import type { ExampleOperation } from './examples';

/** What the page needs from the server, embedded as JSON (a data block, which the CSP lets through unexecuted). */
export interface PlaygroundPageConfig {
  graphqlPath: string;
  preset: string;
  environment: string;
  signInHelper: boolean;
  tabs: ExampleOperation[];
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The playground's HTML: a bar (sign-in helper, impersonation banner) above GraphiQL. Every script is an asset of this server. */
export function playgroundPage(config: PlaygroundPageConfig): string {
  const assets = '/playground/assets';
  // Stored tabs belong to one preset and one set of example ids: a reseeded database starts from fresh examples.
  const fingerprint = createHash('sha256').update(JSON.stringify(config.tabs)).digest('hex').slice(0, 12);
  const data = JSON.stringify({ ...config, fingerprint }).replace(/</g, '\\u003c');
  const helper = config.signInHelper
    ? `<label for="portico-user">Sign in as</label>
      <select id="portico-user" data-testid="signin-user"><option value="">loading demo users…</option></select>
      <button type="button" id="portico-signin" data-testid="signin-button">Sign in</button>`
    : `<span class="portico-hint">Put <code>{"Authorization": "Bearer &lt;token&gt;"}</code> in Headers.</span>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Portico playground (${escapeHtml(config.preset)})</title>
  <link rel="stylesheet" href="${assets}/graphiql.min.css">
  <link rel="stylesheet" href="${assets}/playground.css">
</head>
<body>
  <header id="portico-bar">
    <strong>Portico</strong> <span class="portico-preset">${escapeHtml(config.preset)} policy · ${escapeHtml(config.environment)}</span>
    <span class="portico-signin">${helper}</span>
    <span id="portico-identity" data-testid="signed-in-as"></span>
    <button type="button" id="portico-use-session" data-testid="use-session-token" hidden>Use this session's token</button>
  </header>
  <div id="portico-banner" data-testid="impersonation-banner" role="status" hidden>
    <span id="portico-banner-text"></span>
    <button type="button" id="portico-leave" data-testid="leave-session">Stop using the session token</button>
  </div>
  <main id="graphiql">Loading the playground…</main>
  <script type="application/json" id="portico-playground-config">${data}</script>
  <script src="${assets}/react.production.min.js"></script>
  <script src="${assets}/react-dom.production.min.js"></script>
  <script src="${assets}/graphiql.min.js"></script>
  <script src="${assets}/playground.js"></script>
</body>
</html>
`;
}

export const PLAYGROUND_STYLES = `
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
#portico-bar { display: flex; gap: 0.75rem; align-items: center; padding: 0.4rem 0.8rem; background: #0b2545; color: #fff; font-size: 14px; flex-wrap: wrap; }
#portico-bar .portico-preset { opacity: 0.75; }
#portico-bar .portico-signin { display: flex; gap: 0.4rem; align-items: center; }
#portico-bar code { background: rgba(255,255,255,0.15); padding: 0 0.25rem; border-radius: 3px; }
#portico-bar button, #portico-banner button { cursor: pointer; }
#portico-identity { margin-left: auto; }
#portico-banner { padding: 0.5rem 0.8rem; background: #ffd166; color: #3d2c00; font-weight: 600; display: flex; gap: 1rem; align-items: center; }
#portico-banner[hidden], #portico-use-session[hidden] { display: none; }
#graphiql { flex: 1; min-height: 0; }
`;

/**
 * The page's script: GraphiQL with the preset's examples as tabs, a fetcher that sends the signed-in user's token
 * (unless the Headers editor names another), the sign-in helper, and the impersonation banner. Plain ES2017,
 * no build step: it runs as served.
 */
export const PLAYGROUND_SCRIPT = String.raw`(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('portico-playground-config').textContent);
  var h = React.createElement;
  var tokenKey = 'portico:' + config.preset + ':token';
  var state = { token: null, previousToken: null, sessionToken: null, issued: {}, bannerFor: undefined, headers: undefined, variables: undefined, returned: {}, filled: {} };
  try { state.token = window.sessionStorage.getItem(tokenKey); } catch (e) { /* storage off: start signed out */ }
  if (state.token) state.issued[state.token] = true;

  var $ = function (id) { return document.getElementById(id); };

  function claimsOf(token) {
    try {
      return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    } catch (e) {
      return null;
    }
  }

  function bearerOf(value) {
    var match = /^Bearer\s+(\S+)\s*$/i.exec(value || '');
    return match ? match[1] : null;
  }

  // Tabs are kept per preset and per set of example ids, so another preset's tabs never show up here.
  function scopedStorage(prefix) {
    var memory = {};
    var local = null;
    try { local = window.localStorage; } catch (e) { local = null; }
    return {
      getItem: function (key) { return local ? local.getItem(prefix + key) : (key in memory ? memory[key] : null); },
      setItem: function (key, value) { if (local) local.setItem(prefix + key, value); else memory[key] = String(value); },
      removeItem: function (key) { if (local) local.removeItem(prefix + key); else delete memory[key]; },
      clear: function () { memory = {}; },
      key: function () { return null; },
      get length() { return 0; }
    };
  }

  function graphql(token, query, variables) {
    var headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(config.graphqlPath, { method: 'POST', headers: headers, body: JSON.stringify({ query: query, variables: variables || {} }) })
      .then(function (response) { return response.json(); });
  }

  // The banner follows the token in use: an impersonation token (act / sid claims) names the customer and the partner user.
  function showBannerFor(token) {
    if (token === state.bannerFor) return;
    state.bannerFor = token;
    var claims = token ? claimsOf(token) : null;
    if (!claims || (!claims.act && !claims.sid)) {
      $('portico-banner').hidden = true;
      return;
    }
    graphql(token, '{ viewer { account { name } actor { email } user { email } } }').then(function (result) {
      if (state.bannerFor !== token) return;
      var viewer = result && result.data && result.data.viewer;
      var customer = viewer ? viewer.account.name : 'a customer';
      var actor = viewer && viewer.actor ? viewer.actor.email : (claims.act && claims.act.email) || (claims.act && claims.act.sub) || 'a partner user';
      $('portico-banner-text').textContent = viewer
        ? 'Acting as ' + customer + ' for ' + actor + ' (impersonation session)'
        : 'Impersonation token refused: ' + ((result.errors && result.errors[0] && result.errors[0].message) || 'the session has ended');
      $('portico-banner').hidden = false;
    });
  }

  function showIdentity() {
    var claims = state.token ? claimsOf(state.token) : null;
    $('portico-identity').textContent = claims ? 'Token: ' + (claims.email || (claims.act ? 'impersonation session' : claims.sub)) : 'Signed out';
  }

  function useToken(token, remember) {
    state.token = token;
    state.issued[token] = true;
    try { if (remember) window.sessionStorage.setItem(tokenKey, token); } catch (e) { /* not kept across reloads */ }
    state.headers = JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2);
    showIdentity();
    showBannerFor(token);
    render();
  }

  // Right after a tab switch GraphiQL may still name the previous tab's operation: name one of this document's.
  function withCurrentOperationName(params) {
    var names = [];
    var pattern = /(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/g;
    var source = String(params.query || '').replace(/#[^\n]*/g, '');
    for (var match = pattern.exec(source); match; match = pattern.exec(source)) names.push(match[1]);
    if (!params.operationName || names.indexOf(params.operationName) >= 0) return params;
    return Object.assign({}, params, { operationName: names.length === 1 ? names[0] : undefined });
  }

  // The Headers editor wins, except for a token this page put there earlier: that one follows the sign-in helper.
  function fetcher(params, options) {
    var headers = { 'content-type': 'application/json', accept: 'application/json' };
    var given = (options && options.headers) || {};
    var token = state.token;
    Object.keys(given).forEach(function (name) {
      if (name.toLowerCase() === 'authorization') {
        var named = bearerOf(given[name]);
        if (named && !state.issued[named]) token = named;
      } else {
        headers[name] = given[name];
      }
    });
    if (token) headers.authorization = 'Bearer ' + token;
    var introspection = params && params.operationName === 'IntrospectionQuery';
    if (!introspection) params = withCurrentOperationName(params);
    if (!introspection) showBannerFor(token);
    return fetch(config.graphqlPath, { method: 'POST', headers: headers, body: JSON.stringify(params) })
      .then(function (response) { return response.json(); })
      .then(function (result) {
        // Ids an example returns, for the tabs that take them (ApproveDelegatedAdmin, RevokeImpersonationGrant).
        Object.keys((result && result.data) || {}).forEach(function (field) {
          var value = result.data[field];
          if (value && typeof value.id === 'string') state.returned[field] = value.id;
        });
        var started = result && result.data && result.data.startImpersonation;
        if (started && started.token) {
          state.sessionToken = started.token;
          $('portico-use-session').hidden = false;
        }
        return result;
      });
  }

  var storage = scopedStorage('portico:' + config.preset + ':' + config.fingerprint + ':');
  var defaultTabs = config.tabs.map(function (tab) { return { query: tab.query, variables: tab.variables }; });
  var root = ReactDOM.createRoot($('graphiql'));
  var fetchers = {};

  function render() {
    // A new fetcher per identity makes GraphiQL load the schema as that caller sees it.
    var key = state.token || '';
    if (!fetchers[key]) {
      fetchers = {};
      fetchers[key] = function (params, options) { return fetcher(params, options); };
    }
    root.render(h(GraphiQL, {
      fetcher: fetchers[key],
      defaultTabs: defaultTabs,
      headers: state.headers,
      shouldPersistHeaders: false,
      storage: storage,
      variables: state.variables,
      defaultEditorToolsVisibility: 'variables',
      onTabChange: suggestSignIn
    }, h(GraphiQL.Logo, null, 'Portico')));
  }

  // An example written for one person (GrantImpersonation: the customer's administrator) preselects them in the helper.
  // A tab that takes an id another example returned gets the latest one when it is opened (once per id).
  function suggestSignIn(tabState) {
    var active = tabState && tabState.tabs[tabState.activeTabIndex];
    var example = active && config.tabs.filter(function (tab) { return tab.title === active.title; })[0];
    var id = example && example.idFrom && state.returned[example.idFrom.field];
    if (id && state.filled[example.title] !== id) {
      state.filled[example.title] = id;
      var variables = {};
      try { variables = JSON.parse(active.variables || '{}') || {}; } catch (e) { variables = {}; }
      variables[example.idFrom.variable] = id;
      state.variables = JSON.stringify(variables, null, 2);
      render();
    }
    var select = $('portico-user');
    if (!example || !example.runAs || !select) return;
    if (select.querySelector('option[value="' + example.runAs + '"]')) select.value = example.runAs;
  }

  if (config.signInHelper) {
    fetch('/playground/users').then(function (response) { return response.json(); }).then(function (body) {
      var select = $('portico-user');
      select.innerHTML = '';
      body.users.forEach(function (user) {
        var option = document.createElement('option');
        option.value = user.email;
        option.disabled = !user.canLogin;
        option.textContent = user.email + ' (' + user.account + (user.roles.length ? ': ' + user.roles.join(', ') : '') + (user.canLogin ? '' : ', cannot log in') + ')';
        select.appendChild(option);
      });
    });
    $('portico-signin').addEventListener('click', function () {
      var email = $('portico-user').value;
      if (!email) return;
      fetch('/playground/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: email }) })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (!body.token) throw new Error(body.error || 'no token');
          state.previousToken = null;
          useToken(body.token, true);
        })
        .catch(function (error) { $('portico-identity').textContent = 'Sign-in failed: ' + error.message; });
    });
  }

  $('portico-use-session').addEventListener('click', function () {
    if (!state.sessionToken) return;
    state.previousToken = state.token;
    $('portico-use-session').hidden = true;
    useToken(state.sessionToken, false);
  });

  $('portico-leave').addEventListener('click', function () {
    var back = state.previousToken;
    state.previousToken = null;
    if (back) useToken(back, true);
    else {
      state.token = null;
      state.headers = JSON.stringify({}, null, 2);
      showIdentity();
      showBannerFor(null);
      render();
    }
  });

  if (state.token) state.headers = JSON.stringify({ Authorization: 'Bearer ' + state.token }, null, 2);
  showIdentity();
  showBannerFor(state.token);
  render();
})();
`;

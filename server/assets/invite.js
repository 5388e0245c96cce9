// The invitation page (`/invite`) and the password-reset page (`/reset`): set the account's
// password with the token from the link.
//
// The token travels in the URL fragment (`/invite#token=…`, `/reset#token=…`), which browsers never send to a
// server, so it reaches Stoa only in the body of the accept request below. Served as a file of
// its own so that the page's Content-Security-Policy can forbid inline script.
(function () {
  'use strict';

  var form = document.getElementById('accept');
  var password = document.getElementById('password');
  var repeat = document.getElementById('confirm');
  var message = document.getElementById('message');
  var submit = document.getElementById('submit');
  var done = document.getElementById('done');
  var doneText = document.getElementById('done-text');

  // The server's rule (server/src/authn/password.rs), written into the page by the server.
  var reset = form.getAttribute('data-mode') === 'reset';
  var minLength = parseInt(form.getAttribute('data-min-length'), 10);
  var maxLength = parseInt(form.getAttribute('data-max-length'), 10);

  var token = new URLSearchParams(window.location.hash.slice(1)).get('token') || '';

  // Relative to the page, so the page also works behind a proxy that mounts Stoa under a prefix.
  function api(path) {
    return new URL('api/v1/' + path, window.location.href).toString();
  }

  function say(text, field) {
    // textContent: the detail comes from the server and must never be parsed as markup.
    message.textContent = text;
    password.removeAttribute('aria-invalid');
    repeat.removeAttribute('aria-invalid');
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }

  // The server counts characters (Unicode scalar values), as Array.from does; `.length` would
  // count UTF-16 units and misjudge passwords with emoji or other astral characters.
  function characters(s) {
    return Array.from(s).length;
  }

  if (!token) {
    say(reset
      ? 'This link has no reset token. Open the link exactly as you received it, or ask for a new one.'
      : 'This link has no invitation token. Open the link exactly as you received it, or ask an administrator for a new invitation.');
    password.disabled = true;
    repeat.disabled = true;
    submit.disabled = true;
    return;
  }

  function finish(user) {
    // The token is used up: drop it from the address bar and the history entry.
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    form.hidden = true;
    done.hidden = false;
    var login = user && (user.email || user.phone);
    if (reset) {
      doneText.textContent = 'Your password is changed and every device was signed out. Sign in again with the new password.';
    } else if (login) {
      doneText.textContent = 'You can now sign in to Stoa as ' + login + ' with your new password.';
    }
    done.querySelector('h2').focus();
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var n = characters(password.value);
    if (n < minLength || n > maxLength) {
      say('The password must have at least ' + minLength + ' and at most ' + maxLength +
        ' characters; this one has ' + n + '.', password);
      return;
    }
    if (password.value !== repeat.value) {
      say('The two passwords differ.', repeat);
      return;
    }
    say('');
    submit.disabled = true;
    fetch(api(reset ? 'auth/password-reset/complete' : 'auth/invitations/accept'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(reset
        ? { token: token, new_password: password.value }
        : { token: token, password: password.value, device: 'invitation page' }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        if (reset && resp.status === 204) {
          finish(null);
          return;
        }
        if (resp.ok && body && body.token) {
          // Accepting signs in, but this page has no use for a session: end it at once rather
          // than leave it open until it expires. A failure here changes nothing for the person.
          fetch(api('auth/logout'), {
            method: 'POST',
            headers: { authorization: 'Bearer ' + body.token },
            credentials: 'omit',
            cache: 'no-store',
            referrerPolicy: 'no-referrer'
          }).catch(function () {});
          finish(body.user);
          return;
        }
        var detail = body && typeof body.detail === 'string' && body.detail
          ? body.detail
          : 'The server answered ' + resp.status + '. Try again later.';
        say(detail, body && (body.field === 'password' || body.field === 'new_password') ? password : null);
        submit.disabled = false;
      });
    }).catch(function () {
      say('The server could not be reached. Check your connection and try again.');
      submit.disabled = false;
    });
  });
})();

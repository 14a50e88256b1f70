// The pages' one way to write: JSON to our own origin (the server checks Content-Type and Origin).
export function postJson(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
    // The document's policy is no-referrer, under which a same-origin POST would say 'Origin: null' (Fetch §3.1): this one says who it is.
    referrerPolicy: 'same-origin',
  });
}

/**
 * Splitting a PEM file that holds several blocks (RFC 7468 §2: a file may
 * carry more than one, each framed by its own BEGIN/END lines) into one
 * string per block. Node's tls reads only the first CRL of a `crl` string,
 * so a file with the root's CRL and the issuing CA's CRL (docs/provisioning.md
 * §1, `ca/crl.pem`) must be handed over block by block. Pure.
 */

/** Label allowed in the frame: RFC 7468 §3 labels we use ("X509 CRL", "CERTIFICATE"). */
const LABEL = /^[A-Z0-9 ]{1,40}$/;

/**
 * The blocks labelled `label` in `text`, in file order, each as
 * `-----BEGIN label-----\n…\n-----END label-----\n` (line ends normalised
 * to LF). Text between blocks (RFC 7468 explanatory text) is ignored.
 * Throws RangeError on a BEGIN without its END, or an END without a BEGIN.
 */
export function pemBlocks(text: string, label: string): string[] {
  if (!LABEL.test(label)) throw new RangeError('PEM label: 1..40 of A-Z, 0-9 and space');
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const out: string[] = [];
  let inside: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === begin) {
      if (inside) throw new RangeError(`PEM: ${begin} inside another block`);
      inside = [];
    } else if (line === end) {
      if (!inside) throw new RangeError(`PEM: ${end} without its BEGIN`);
      out.push(`${begin}\n${inside.join('\n')}\n${end}\n`);
      inside = undefined;
    } else if (inside) {
      if (!/^[A-Za-z0-9+/=]*$/.test(line)) throw new RangeError(`PEM: a ${label} block holds a line that is not base64`);
      if (line !== '') inside.push(line);
    }
  }
  if (inside) throw new RangeError(`PEM: ${begin} without its END`);
  return out;
}

/**
 * A PEM file named by a command-line option (`--console-cert`, `--enrol-key`
 * …): read with common/key-files.ts (a secret must be 0600 or stricter), a
 * refusal as CenterError CONFIG_INVALID naming the option and the file's
 * problem, never its content.
 */
import { KeyFileError, readPemFile } from '../../common/key-files.js';
import { CenterError } from '../../center/errors.js';

export async function readPemOption(option: string, path: string, secret: boolean): Promise<string> {
  try {
    return await readPemFile(path, { secret });
  } catch (e) {
    if (e instanceof KeyFileError) throw new CenterError('CONFIG_INVALID', `${option}: ${e.message}`);
    throw e;
  }
}

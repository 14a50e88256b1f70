/**
 * @peculiar/x509, loaded after reflect-metadata: the library's dependency
 * injection (tsyringe) needs the Reflect metadata API installed before its
 * first module is evaluated, so every file of this folder imports x509 from
 * here, never from the package directly.
 *
 * No provider is set globally (`x509.cryptoProvider.set` would be module
 * state shared by every user of the package): callers pass `webcrypto`
 * explicitly to each call that signs or hashes.
 */
import 'reflect-metadata';

export * from '@peculiar/x509';

/**
 * @peculiar/x509 for the kiosk, loaded after reflect-metadata (the
 * library's dependency injection needs the Reflect metadata API before its
 * first module runs). Only for public objects: certificate requests and
 * certificates. No provider is set globally; callers pass `webcrypto`.
 */
import 'reflect-metadata';

export * from '@peculiar/x509';

/** The public API of wire/ (README.md): what center and kiosk speak. */
export { WireError, isWireError, type RefusalReason } from './errors.js';
export { UP_WILDCARD, downTopic, parseKioskTopic, stateTopic, upTopic, type Channel } from './topics.js';
export { ED25519_PUBLIC_BYTES, ED25519_SECRET_BYTES, ED25519_SIGNATURE_BYTES, ed25519PublicKey, ed25519Sign, ed25519Verify, newEd25519Secret, type Ed25519Signer, type Ed25519Verifier } from './keys.js';
export { MAX_PAYLOAD_BYTES, MAX_SEQ, WIRE_VERSION, openEnvelope, sealEnvelope, type Envelope, type EnvelopeHeader, type OpenOptions, type Sender } from './envelope.js';
export { decodeDown, decodeUp } from './codec.js';
export { SequenceWindow, type SequenceWindowOptions } from './replay.js';
export { DESCRIPTOR_PATTERN, MAX_REGISTRY_READERS, signRegistry, verifyRegistry, type ReaderRegistry, type RegistryReader, type SignedRegistry } from './registry.js';
export { MAX_CHALLENGE_BYTES, MIN_CHALLENGE_BYTES, descriptorMatches, readerChallengeMessage, verifyReaderSignature, type ReportedDescriptor } from './reader-auth.js';
export { ENROL_PROOF_CONTEXT, enrolProofMessage, signEnrolProof, verifyEnrolProof } from './enrol-proof.js';
export * from './fleet-messages.js';
export * from './messages.js';

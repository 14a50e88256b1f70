/** The site broker's generated files (docs/mosquitto.md): mosquitto.conf and the dynamic-security plugin's state. */
export { activeKioskIds } from './active-kiosks.js';
export { DEFAULT_AUTOSAVE_S, DEFAULT_CENTER_HOST, DEFAULT_MAX_INFLIGHT, DEFAULT_MAX_KIOSKS, queuedMessagesFor, DEFAULT_USER, DYNSEC_PLUGIN, mosquittoConf, type MosquittoConfOptions } from './conf.js';
export { CENTER_ROLE, CENTER_SHARE_GROUP, centerRole, dynsecState, kioskClient, kioskRole, kioskRoleName, type DynsecAcl, type DynsecClient, type DynsecRole, type DynsecState } from './dynsec.js';
export { DEFAULT_HOST, DEFAULT_PORT, siteBrokerFiles, type SiteBrokerFiles, type SiteBrokerOptions } from './site.js';
export { certificateCn, generateSiteBroker, type GenerateOptions } from './generate.js';
export { writeSiteBrokerFiles } from './write.js';
export { MosquittoConfigError, type MosquittoConfigErrorCode } from './errors.js';

/** Card stock: the 0th and 1st issuance as pure builders (docs/provisioning.md §6). */
export { APP_KVN, DEFAULT_ISD_KVN, PRODUCT_DATA_VERSION, stockProduct, TRANSPORT_KEY_HEX, TRANSPORT_KVN, transportKeys, type StockProduct } from './product.js';
export { APP_KEY_TYPE, deriveApplicationKeys } from './app-keys.js';
export { BATCH_ID_PATTERN, encodeProductData, parseProductData, PRODUCT_DF, PRODUCT_EF, PRODUCT_EF_SIZE, PRODUCT_NAME_PATTERN, type ProductData } from './product-data.js';
export { getIsdStatus, putKeySet, readProductEf, selectProductEf, setInitialized, setSecured, updateProductEf } from './commands.js';
export { preparationSteps, type PrepInput, type PrepStep, type PrepStepName } from './steps.js';
export { checkManifest, encodeManifest, KDD_PATTERN, CARD_SERIAL_PATTERN, ManifestError, MANIFEST_VERSION, MAX_MANIFEST_CARDS, parseManifest, type BatchManifest, type ManifestCard } from './manifest.js';

export { skeleton, skeletonDigest } from './confusables';
export { displayName, type DisplayNameRule } from './display-name';
export { canonicalEmail, type CanonicalEmail } from './email-address';
export { codePoint, visibly } from './visible';

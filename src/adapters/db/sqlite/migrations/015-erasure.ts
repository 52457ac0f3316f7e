export { up } from '../../shared/erasure-migration.ts';

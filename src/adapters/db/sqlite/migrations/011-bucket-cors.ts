export { up } from '../../shared/bucket-cors-migration.ts';

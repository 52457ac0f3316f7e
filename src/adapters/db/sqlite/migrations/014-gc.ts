export { up } from '../../shared/gc-migration.ts';

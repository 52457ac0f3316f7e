export { up } from '../../shared/identity-migration.ts';

export { up } from '../../shared/openlineage-warnings-migration.ts';

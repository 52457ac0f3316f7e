export { up } from '../../shared/branch-protection-migration.ts';

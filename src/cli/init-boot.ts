/**
 * Does the app migrate its database when it starts? Rails 8's default entrypoint runs
 * db:prepare, Django entrypoints run manage.py migrate, Node apps call knex's
 * migrate.latest() or prisma migrate deploy before listening, Go apps AutoMigrate, Rust
 * apps run diesel's embedded migrations. Such a release changes the database as it
 * boots (issue 21), so berth must take the maintenance path with its backup. Pure: the
 * caller reads the files.
 */

/** What each pattern says the start does. */
const PATTERNS: readonly [RegExp, string][] = [
  [/\bdb:(?:prepare|migrate)\b/, "rails db:prepare/db:migrate"],
  [/\bmanage\.py\s+migrate\b/, "manage.py migrate"],
  [/\bprisma\s+migrate\s+deploy\b/, "prisma migrate deploy"],
  [/\bknex\s+migrate:latest\b|\.migrate\s*\.latest\s*\(/, "knex migrate.latest()"],
  [/\bsequelize(?:-cli)?\s+db:migrate\b|\bumzug\b.*\.up\s*\(/, "sequelize db:migrate"],
  [/\balembic\s+upgrade\b/, "alembic upgrade"],
  [/\bflask\s+db\s+upgrade\b/, "flask db upgrade"],
  [/\.AutoMigrate\s*\(/, "gorm AutoMigrate"],
  [/\bgoose\.Up(?:Context)?\s*\(/, "goose Up"],
  [/\bmigrate\.New(?:WithDatabaseInstance)?\s*\(/, "golang-migrate"],
  [/\brun_pending_migrations\s*\(/, "diesel run_pending_migrations"],
  [/\bsqlx::migrate!\s*\(/, "sqlx migrate!"],
  [/\bmix\s+ecto\.migrate\b|Ecto\.Migrator\.run\b/, "ecto migrate"],
];

/** What `text` runs at start that migrates, or undefined. */
export function bootMigration(text: string): string | undefined {
  for (const [re, what] of PATTERNS) if (re.test(text)) return what;
  return undefined;
}

/** Files that run at start besides the source: entrypoints and start scripts. */
export const START_SCRIPTS =
  /^(?:docker-entrypoint(?:\.sh)?|entrypoint(?:\.sh)?|start(?:\.sh)?|run(?:\.sh)?|boot(?:\.sh)?|init(?:\.sh)?)$/;

/** What the domain modules need of a logger (pino's and Fastify's loggers are one). */
export interface Logger {
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

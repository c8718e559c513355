/** Moved to src/updates/aggregate.ts (the update layer); kept so code written against fl/ still compiles. */
export * from '../updates/aggregate.js';

/** Moved to src/updates/pipeline.ts (the update layer); kept so code written against fl/ still compiles. */
export * from '../updates/pipeline.js';

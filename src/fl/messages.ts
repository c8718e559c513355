/** Moved to src/updates/messages.ts (the update layer); kept so code written against fl/ still compiles. */
export * from '../updates/messages.js';

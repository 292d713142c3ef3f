export * from './math';

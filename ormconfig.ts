import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config';
import { dataSourceOptions } from './src/storage/data-source';

export { dataSourceOptions };

/** The TypeORM CLI's DataSource (`npm run migration:generate`), from the environment. Portico itself never imports this file. */
export default new DataSource(dataSourceOptions(loadConfig()));

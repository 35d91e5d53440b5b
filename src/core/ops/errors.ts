/** The errors operations throw, for front ends to tell bad input (exit 2, a message) from a bug. */
export { badInput, isProdmlError, type ProdmlError } from '../errors';

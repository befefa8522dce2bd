export function isExecutableFile(file: string): boolean;

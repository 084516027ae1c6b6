/** The software version presented in hello and `node status`. */
export const SOFTWARE_VERSION = 'trustmesh/0.1.0'

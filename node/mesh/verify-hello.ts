/** The hello check lives with its protocol (protocols/hello/verify.ts); re-exported for the mesh's importers. */
export { verifyHello, HelloErrorCode, type EnrolledOrgView, type VerifiedHello, type VerifyHelloOptions } from '../../protocols/hello/verify.js'

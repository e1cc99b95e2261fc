// SPDX-License-Identifier: MPL-2.0
// lumos-imgapi: an IMGAPI-compatible image server. Filled in by the imgapi work.
int main() { return 1; }

// SPDX-License-Identifier: MPL-2.0
// lumosadm: host setup (pools, image builds). Filled in by the storage work.
int main() { return 1; }

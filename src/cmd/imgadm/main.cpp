// SPDX-License-Identifier: MPL-2.0
int main() { return 1; }

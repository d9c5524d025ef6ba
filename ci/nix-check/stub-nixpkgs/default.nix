# Stub "nixpkgs" for eval-only checks when no real nixpkgs is on the machine.
# Hand-written; contains no nixpkgs code.  Every package is a trivial
# derivation that instantiates (its builder just writes a file); the builders
# Rust flakes use (buildRustPackage, mkDerivation, mkShell) check the shape of
# their arguments, and cargoLock is parsed and turned into one fixed-output
# derivation per crate, so bad checksums/hashes fail at instantiation.
{ localSystem ? { system = builtins.currentSystem or "x86_64-linux"; }
, system ? null
, crossSystem ? null
, overlays ? [ ]
, config ? { }
, ...
}:
let
  lib = import ./lib.nix;
  b = builtins;
  buildPlatform = lib.elaborate (if system != null then { inherit system; } else localSystem);
  hostPlatform = if crossSystem == null then buildPlatform else lib.elaborate crossSystem;
  isCross = hostPlatform.config != buildPlatform.config || hostPlatform != buildPlatform;
  suffix = lib.optionalString (hostPlatform.config != buildPlatform.config) "-${hostPlatform.config}";

  # Names the stub knows; extend as a project's flake needs more.
  simpleNames = [
    "pkg-config" "pkgconfig" "cargo" "rustc" "clippy" "rustfmt" "rust-analyzer"
    "cargo-nextest" "cargo-watch" "cargo-deny" "cargo-audit" "cargo-edit" "just"
    "openssl" "zlib" "sqlite" "glib" "libv4l" "v4l-utils" "alsa-lib" "libcamera"
    "ffmpeg" "ffmpeg-headless" "systemd" "udev" "dbus" "cmake" "gnumake" "clang"
    "mold" "lld" "nasm" "perl" "python3" "git" "coreutils" "bashInteractive"
    "libopus" "libvpx" "x264" "libsrtp" "libnice" "protobuf" "libiconv" "gcc"
    "curl" "jq" "nixpkgs-fmt" "nixfmt" "nixfmt-rfc-style" "shellcheck" "qemu"
    # camview (ci/nix-check is camview's copy of the shared offline check):
    # the window's libraries (loaded with dlopen), the wrapper, and the
    # devShell's test tools
    "vulkan-loader" "libxkbcommon" "wayland" "libGL" "libx11" "libxcursor"
    "libxi" "libxrandr" "makeWrapper" "xvfb-run" "xdotool" "imagemagick"
    "xwd" "mesa" "cargo-zigbuild" "cargo-fuzz"
    # the detectors' models, unpacked from their Python wheels
    "unzip"
  ];
  gstNames = [
    "gstreamer" "gst-plugins-base" "gst-plugins-good" "gst-plugins-bad"
    "gst-plugins-ugly" "gst-libav" "gst-rtsp-server" "gst-vaapi" "gst-devtools"
    "gst-plugins-rs"
  ];

  base = self:
    let
      stubDrv = name: extra:
        let d = derivation ({
          name = name + suffix;
          system = buildPlatform.system;
          builder = "/bin/sh";
          args = [ "-c" "echo stub > $out" ];
          stubHostPlatform = b.toJSON (b.removeAttrs hostPlatform [ "parsed" "rust" ]);
        } // extra);
        in d // {
          pname = name; version = "0-stub"; meta = { mainProgram = name; };
          dev = d; out = d; lib = d; bin = d;
        };

      toEnv = args: lib.filterAttrs (n: v: !(b.isFunction v) && !(b.isAttrs v && !(lib.isDerivation v)))
        (b.removeAttrs args [ "meta" "passthru" "name" "env" "system" "builder" "args" "__structuredAttrs" ]);

      mkDerivation = args0:
        let
          args = if b.isFunction args0 then lib.fix (fa: args0 fa) else args0;
          name = args.name or (
            if args ? pname && args ? version then "${args.pname}-${args.version}"
            else throw "stub mkDerivation: needs name, or pname and version");
          d = stubDrv name (toEnv args // (args.env or { }));
        in d // (args.passthru or { }) // {
          pname = args.pname or name;
          version = args.version or "";
          meta = args.meta or { };
          overrideAttrs = f: mkDerivation (args // (if b.isFunction (f args) then f args args else f args));
        };

      fetchurl = { url ? null, urls ? [ ], sha256 ? null, hash ? null, name ? null, ... }@a:
        derivation ({
          name = if name != null then name else b.baseNameOf (if url != null then url else b.head urls);
          system = buildPlatform.system;
          builder = "/bin/sh";
          args = [ "-c" "exit 1" ];
          url = if url != null then url else b.head urls;
          outputHashMode = "flat";
        } // (if hash != null then { outputHash = hash; outputHashAlgo = ""; }
              else if sha256 != null then { outputHash = sha256; outputHashAlgo = "sha256"; }
              else throw "stub fetchurl: needs hash or sha256"));

      importCargoLock = { lockFile ? null, lockFileContents ? null, outputHashes ? { }, allowBuiltinFetchGit ? false }:
        let
          text = if lockFile != null then b.readFile lockFile
                 else if lockFileContents != null then lockFileContents
                 else throw "cargoLock needs lockFile or lockFileContents";
          pkgs = (b.fromTOML text).package or [ ];
          reg = b.filter (p: lib.hasPrefix "registry+" (p.source or "")) pkgs;
          git = b.filter (p: lib.hasPrefix "git+" (p.source or "")) pkgs;
          missing = b.filter (p: !(outputHashes ? "${p.name}-${p.version}")) git;
          crates = b.map (p: fetchurl {
            name = "crate-${p.name}-${p.version}.tar.gz";
            url = "https://crates.io/api/v1/crates/${p.name}/${p.version}/download";
            sha256 = p.checksum or (throw "Cargo.lock: ${p.name} ${p.version} has no checksum");
          }) reg;
          gits = b.map (p: derivation {
            name = "git-${p.name}-${p.version}"; system = buildPlatform.system;
            builder = "/bin/sh"; args = [ "-c" "exit 1" ];
            outputHashMode = "recursive"; outputHashAlgo = "";
            outputHash = outputHashes."${p.name}-${p.version}";
          }) git;
        in
        if missing != [ ] && !allowBuiltinFetchGit
        then throw "cargoLock.outputHashes lacks: ${toString (b.map (p: "${p.name}-${p.version}") missing)}"
        else stubDrv "cargo-vendor-dir" { inherit crates gits; };

      buildRustPackage = args0:
        let
          args = if b.isFunction args0 then lib.fix (fa: args0 fa) else args0;
          cargoDeps =
            if args ? cargoDeps then args.cargoDeps
            else if args ? cargoLock then importCargoLock args.cargoLock
            else if args ? cargoHash || args ? cargoSha256 then
              derivation {
                name = "${args.pname or args.name}-vendor"; system = buildPlatform.system;
                builder = "/bin/sh"; args = [ "-c" "exit 1" ];
                outputHashMode = "recursive";
                outputHash = args.cargoHash or args.cargoSha256;
                outputHashAlgo = if args ? cargoHash then "" else "sha256";
              }
            else if args ? cargoVendorDir then null
            else throw "buildRustPackage: one of cargoLock, cargoHash, cargoDeps or cargoVendorDir is required";
        in
        if !(args ? src || args ? srcs) then throw "buildRustPackage: src is required"
        else mkDerivation (b.removeAttrs args [ "cargoLock" "cargoHash" "cargoSha256" ] // {
          inherit cargoDeps;
          nativeBuildInputs = [ self.buildPackages.cargo self.buildPackages.rustc ] ++ (args.nativeBuildInputs or [ ]);
          stubRustTarget = hostPlatform.config;
        });

      mkShell = { name ? "nix-shell", inputsFrom ? [ ], packages ? [ ], buildInputs ? [ ], nativeBuildInputs ? [ ], shellHook ? "", ... }@a:
        mkDerivation (b.removeAttrs a [ "inputsFrom" "packages" ] // {
          inherit name shellHook;
          buildInputs = buildInputs ++ b.concatLists (b.map (d: d.buildInputs or [ ]) inputsFrom);
          nativeBuildInputs = packages ++ nativeBuildInputs ++ b.concatLists (b.map (d: d.nativeBuildInputs or [ ]) inputsFrom);
        });

      stdenv = {
        inherit mkDerivation hostPlatform buildPlatform;
        targetPlatform = hostPlatform;
        isLinux = hostPlatform.isLinux; isDarwin = hostPlatform.isDarwin;
        cc = stubDrv "gcc-wrapper" { };
        shell = "/bin/sh";
      };
    in
    lib.genAttrs simpleNames (n: stubDrv n { })
    // {
      inherit lib stdenv mkShell fetchurl hostPlatform buildPlatform;
      targetPlatform = hostPlatform;
      system = buildPlatform.system;
      mkShellNoCC = mkShell;
      gst_all_1 = lib.genAttrs gstNames (n: stubDrv n { });
      rustPlatform = { inherit buildRustPackage importCargoLock; rust = { cargo = self.cargo; rustc = self.rustc; }; };
      llvmPackages = { libclang = stubDrv "libclang" { }; clang = stubDrv "clang" { }; };
      # A package from the Python package index, as a fixed-output
      # derivation (a wheel when format = "wheel").
      python3Packages.fetchPypi = { pname, version, format ? "setuptools", hash ? null, sha256 ? null, ... }:
        fetchurl {
          name = "${pname}-${version}${if format == "wheel" then "-py3-none-any.whl" else ".tar.gz"}";
          url = "pypi:${pname}/${version}/${format}";
          inherit hash sha256;
        };
      writeText = name: text: stubDrv name { inherit text; };
      writeShellScriptBin = name: text: stubDrv name { inherit text; };
      writeShellApplication = { name, text, runtimeInputs ? [ ], ... }: stubDrv name { inherit text runtimeInputs; };
      runCommand = name: env: cmd: stubDrv name (toEnv env // { inherit cmd; });
      symlinkJoin = { name, paths, ... }: stubDrv name { inherit paths; };
      fetchFromGitHub = { owner, repo, rev ? null, tag ? null, hash ? null, sha256 ? null, ... }:
        derivation {
          name = "source"; system = buildPlatform.system; builder = "/bin/sh"; args = [ "-c" "exit 1" ];
          outputHashMode = "recursive";
          outputHash = if hash != null then hash else sha256;
          outputHashAlgo = if hash != null then "" else "sha256";
        };
      callPackage = fn: extra:
        let f = if b.isPath fn || b.isString fn then import fn else fn;
        in f (b.intersectAttrs (b.functionArgs f) self // extra);
      buildPackages = if isCross then import ./default.nix { inherit localSystem system overlays config; } else self;
      pkgsBuildHost = self.buildPackages;
      pkgsCross = lib.mapAttrs (_: cs: import ./default.nix { inherit localSystem system overlays config; crossSystem = cs; }) lib.systems.examples;
      nixpkgsStub = true;
    };

  pkgs = lib.fix (self: b.foldl' (acc: ov: acc // ov self acc) (base self) overlays);
in
pkgs

/** The Docker Engine API's network and volume create bodies, as tug sends them. */

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkCreateBody {
  Name: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Options?: Record<string, string>;
  IPAM?: { Driver?: string; Config?: IpamConfig[]; Options?: Record<string, string> };
  Internal?: boolean;
  Attachable?: boolean;
  /** API 1.48+. */
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Labels?: Record<string, string>;
}

export interface VolumeCreateBody {
  Name: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

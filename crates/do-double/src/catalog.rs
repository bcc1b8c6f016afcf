//! The fixed catalogue of the double: regions, Droplet sizes with DigitalOcean's published list prices,
//! images, and managed database options (engines, versions, node layouts, database sizes).
//!
//! Droplet prices are DigitalOcean's list prices in US dollars; the hourly price is the monthly price
//! divided by 672 hours and rounded to five decimals, as DigitalOcean publishes it. Database sizes
//! (`db-s-1vcpu-1gb`...) are not Droplet sizes: they appear only in `GET /v2/databases/options`.

use serde_json::{Value, json};

/// A region the double knows.
pub struct Region {
    pub slug: &'static str,
    pub name: &'static str,
}

/// Regions (all slugs the OpenAPI description's enums accept).
pub const REGIONS: &[Region] = &[
    Region {
        slug: "nyc1",
        name: "New York 1",
    },
    Region {
        slug: "nyc3",
        name: "New York 3",
    },
    Region {
        slug: "sfo3",
        name: "San Francisco 3",
    },
    Region {
        slug: "ams3",
        name: "Amsterdam 3",
    },
    Region {
        slug: "fra1",
        name: "Frankfurt 1",
    },
    Region {
        slug: "lon1",
        name: "London 1",
    },
    Region {
        slug: "sgp1",
        name: "Singapore 1",
    },
    Region {
        slug: "tor1",
        name: "Toronto 1",
    },
    Region {
        slug: "blr1",
        name: "Bangalore 1",
    },
    Region {
        slug: "syd1",
        name: "Sydney 1",
    },
];

/// A Droplet size.
pub struct Size {
    pub slug: &'static str,
    pub memory: u64,
    pub vcpus: u64,
    pub disk: u64,
    pub transfer: f64,
    pub price_monthly: f64,
    pub description: &'static str,
}

impl Size {
    /// Hourly price: monthly / 672, rounded to 5 decimals.
    pub fn price_hourly(&self) -> f64 {
        (self.price_monthly / 672.0 * 100_000.0).round() / 100_000.0
    }
}

/// Droplet sizes with DigitalOcean's list prices (USD per month).
pub const SIZES: &[Size] = &[
    Size {
        slug: "s-1vcpu-512mb-10gb",
        memory: 512,
        vcpus: 1,
        disk: 10,
        transfer: 0.5,
        price_monthly: 4.0,
        description: "Basic",
    },
    Size {
        slug: "s-1vcpu-1gb",
        memory: 1024,
        vcpus: 1,
        disk: 25,
        transfer: 1.0,
        price_monthly: 6.0,
        description: "Basic",
    },
    Size {
        slug: "s-1vcpu-2gb",
        memory: 2048,
        vcpus: 1,
        disk: 50,
        transfer: 2.0,
        price_monthly: 12.0,
        description: "Basic",
    },
    Size {
        slug: "s-2vcpu-2gb",
        memory: 2048,
        vcpus: 2,
        disk: 60,
        transfer: 3.0,
        price_monthly: 18.0,
        description: "Basic",
    },
    Size {
        slug: "s-2vcpu-4gb",
        memory: 4096,
        vcpus: 2,
        disk: 80,
        transfer: 4.0,
        price_monthly: 24.0,
        description: "Basic",
    },
    Size {
        slug: "s-4vcpu-8gb",
        memory: 8192,
        vcpus: 4,
        disk: 160,
        transfer: 5.0,
        price_monthly: 48.0,
        description: "Basic",
    },
    Size {
        slug: "s-8vcpu-16gb",
        memory: 16384,
        vcpus: 8,
        disk: 320,
        transfer: 6.0,
        price_monthly: 96.0,
        description: "Basic",
    },
    Size {
        slug: "s-1vcpu-1gb-amd",
        memory: 1024,
        vcpus: 1,
        disk: 25,
        transfer: 1.0,
        price_monthly: 7.0,
        description: "Premium AMD",
    },
    Size {
        slug: "s-1vcpu-2gb-amd",
        memory: 2048,
        vcpus: 1,
        disk: 50,
        transfer: 2.0,
        price_monthly: 14.0,
        description: "Premium AMD",
    },
    Size {
        slug: "s-2vcpu-2gb-amd",
        memory: 2048,
        vcpus: 2,
        disk: 60,
        transfer: 2.0,
        price_monthly: 21.0,
        description: "Premium AMD",
    },
    Size {
        slug: "s-2vcpu-4gb-amd",
        memory: 4096,
        vcpus: 2,
        disk: 80,
        transfer: 4.0,
        price_monthly: 28.0,
        description: "Premium AMD",
    },
    Size {
        slug: "s-2vcpu-8gb-amd",
        memory: 8192,
        vcpus: 2,
        disk: 100,
        transfer: 5.0,
        price_monthly: 42.0,
        description: "Premium AMD",
    },
    Size {
        slug: "s-4vcpu-8gb-amd",
        memory: 8192,
        vcpus: 4,
        disk: 160,
        transfer: 5.0,
        price_monthly: 56.0,
        description: "Premium AMD",
    },
    Size {
        slug: "s-4vcpu-16gb-amd",
        memory: 16384,
        vcpus: 4,
        disk: 200,
        transfer: 6.0,
        price_monthly: 84.0,
        description: "Premium AMD",
    },
    Size {
        slug: "s-8vcpu-16gb-amd",
        memory: 16384,
        vcpus: 8,
        disk: 320,
        transfer: 6.0,
        price_monthly: 112.0,
        description: "Premium AMD",
    },
    Size {
        slug: "s-1vcpu-1gb-intel",
        memory: 1024,
        vcpus: 1,
        disk: 35,
        transfer: 1.0,
        price_monthly: 8.0,
        description: "Premium Intel",
    },
    Size {
        slug: "s-1vcpu-2gb-intel",
        memory: 2048,
        vcpus: 1,
        disk: 70,
        transfer: 2.0,
        price_monthly: 16.0,
        description: "Premium Intel",
    },
    Size {
        slug: "s-2vcpu-2gb-intel",
        memory: 2048,
        vcpus: 2,
        disk: 90,
        transfer: 2.0,
        price_monthly: 24.0,
        description: "Premium Intel",
    },
    Size {
        slug: "s-2vcpu-4gb-intel",
        memory: 4096,
        vcpus: 2,
        disk: 120,
        transfer: 4.0,
        price_monthly: 32.0,
        description: "Premium Intel",
    },
    Size {
        slug: "s-2vcpu-8gb-intel",
        memory: 8192,
        vcpus: 2,
        disk: 160,
        transfer: 5.0,
        price_monthly: 48.0,
        description: "Premium Intel",
    },
    Size {
        slug: "s-4vcpu-8gb-intel",
        memory: 8192,
        vcpus: 4,
        disk: 240,
        transfer: 5.0,
        price_monthly: 64.0,
        description: "Premium Intel",
    },
    Size {
        slug: "s-4vcpu-16gb-intel",
        memory: 16384,
        vcpus: 4,
        disk: 320,
        transfer: 6.0,
        price_monthly: 96.0,
        description: "Premium Intel",
    },
    Size {
        slug: "s-8vcpu-16gb-intel",
        memory: 16384,
        vcpus: 8,
        disk: 480,
        transfer: 6.0,
        price_monthly: 128.0,
        description: "Premium Intel",
    },
    Size {
        slug: "g-2vcpu-8gb",
        memory: 8192,
        vcpus: 2,
        disk: 25,
        transfer: 4.0,
        price_monthly: 63.0,
        description: "General Purpose",
    },
    Size {
        slug: "gd-2vcpu-8gb",
        memory: 8192,
        vcpus: 2,
        disk: 50,
        transfer: 5.0,
        price_monthly: 68.0,
        description: "General Purpose",
    },
    Size {
        slug: "c-2",
        memory: 4096,
        vcpus: 2,
        disk: 25,
        transfer: 4.0,
        price_monthly: 42.0,
        description: "CPU-Optimized",
    },
    Size {
        slug: "c-4",
        memory: 8192,
        vcpus: 4,
        disk: 50,
        transfer: 5.0,
        price_monthly: 84.0,
        description: "CPU-Optimized",
    },
    Size {
        slug: "m-2vcpu-16gb",
        memory: 16384,
        vcpus: 2,
        disk: 50,
        transfer: 4.0,
        price_monthly: 84.0,
        description: "Memory-Optimized",
    },
];

pub fn size(slug: &str) -> Option<&'static Size> {
    SIZES.iter().find(|s| s.slug == slug)
}

pub fn region(slug: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.slug == slug)
}

/// A public image.
pub struct Image {
    pub id: u64,
    pub slug: &'static str,
    pub name: &'static str,
    pub distribution: &'static str,
    pub min_disk_size: u64,
}

pub const IMAGES: &[Image] = &[
    Image {
        id: 160_000_001,
        slug: "ubuntu-24-04-x64",
        name: "24.04 (LTS) x64",
        distribution: "Ubuntu",
        min_disk_size: 10,
    },
    Image {
        id: 160_000_002,
        slug: "ubuntu-22-04-x64",
        name: "22.04 (LTS) x64",
        distribution: "Ubuntu",
        min_disk_size: 7,
    },
    Image {
        id: 160_000_003,
        slug: "debian-12-x64",
        name: "12 x64",
        distribution: "Debian",
        min_disk_size: 7,
    },
    Image {
        id: 160_000_004,
        slug: "rockylinux-9-x64",
        name: "9 x64",
        distribution: "Rocky Linux",
        min_disk_size: 10,
    },
];

/// Finds an image by slug or numeric ID.
pub fn image(slug_or_id: &str) -> Option<&'static Image> {
    IMAGES
        .iter()
        .find(|i| i.slug == slug_or_id || i.id.to_string() == slug_or_id)
}

pub fn region_json(r: &Region) -> Value {
    json!({
        "name": r.name,
        "slug": r.slug,
        "features": ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"],
        "available": true,
        "sizes": SIZES.iter().map(|s| s.slug).collect::<Vec<_>>(),
    })
}

pub fn size_json(s: &Size) -> Value {
    json!({
        "slug": s.slug,
        "memory": s.memory,
        "vcpus": s.vcpus,
        "disk": s.disk,
        "transfer": s.transfer,
        "price_monthly": s.price_monthly,
        "price_hourly": s.price_hourly(),
        "regions": REGIONS.iter().map(|r| r.slug).collect::<Vec<_>>(),
        "available": true,
        "description": s.description,
        "disk_info": [{"type": "local", "size": {"amount": s.disk, "unit": "gib"}}],
    })
}

pub fn image_json(i: &Image) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "type": "base",
        "distribution": i.distribution,
        "slug": i.slug,
        "public": true,
        "regions": REGIONS.iter().map(|r| r.slug).collect::<Vec<_>>(),
        "created_at": "2024-04-25T14:33:10Z",
        "min_disk_size": i.min_disk_size,
        "size_gigabytes": 2.36,
        "description": format!("{} {}", i.distribution, i.name),
        "tags": [],
        "status": "available",
    })
}

/// Engines the double's managed databases accept, with their versions.
pub const DB_ENGINES: &[(&str, &[&str])] = &[
    ("pg", &["13", "14", "15", "16", "17"]),
    ("mysql", &["8"]),
    ("valkey", &["8"]),
];

/// Database node sizes by node count (single-node clusters may use the smallest size).
pub fn db_sizes(num_nodes: u64) -> &'static [&'static str] {
    match num_nodes {
        1 => &[
            "db-s-1vcpu-1gb",
            "db-s-1vcpu-2gb",
            "db-s-2vcpu-4gb",
            "db-s-4vcpu-8gb",
            "db-s-6vcpu-16gb",
        ],
        2 | 3 => &["db-s-1vcpu-2gb", "db-s-2vcpu-4gb", "db-s-4vcpu-8gb", "db-s-6vcpu-16gb"],
        _ => &[],
    }
}

/// Default storage of a database size, in MiB.
pub fn db_default_storage_mib(size: &str) -> u64 {
    match size {
        "db-s-1vcpu-1gb" => 10_240,
        "db-s-1vcpu-2gb" => 30_720,
        "db-s-2vcpu-4gb" => 61_440,
        "db-s-4vcpu-8gb" => 117_760,
        _ => 276_480,
    }
}

/// `GET /v2/databases/options`.
pub fn db_options() -> Value {
    let mut options = serde_json::Map::new();
    let mut availability = serde_json::Map::new();
    for (engine, versions) in DB_ENGINES {
        let layouts: Vec<Value> = [1u64, 2, 3]
            .iter()
            .map(|n| json!({"num_nodes": n, "sizes": db_sizes(*n)}))
            .collect();
        options.insert(
            engine.to_string(),
            json!({
                "regions": REGIONS.iter().map(|r| r.slug).collect::<Vec<_>>(),
                "versions": versions,
                "layouts": layouts,
            }),
        );
        availability.insert(
            engine.to_string(),
            Value::Array(
                versions
                    .iter()
                    .map(|v| json!({"version": v, "end_of_life": null, "end_of_availability": null}))
                    .collect(),
            ),
        );
    }
    json!({"options": options, "version_availability": availability})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_prices_are_monthly_over_672() {
        assert_eq!(size("s-1vcpu-1gb").unwrap().price_hourly(), 0.00893);
        assert_eq!(size("s-1vcpu-2gb").unwrap().price_hourly(), 0.01786);
        assert_eq!(size("s-2vcpu-4gb").unwrap().price_hourly(), 0.03571);
        assert_eq!(size("s-4vcpu-8gb").unwrap().price_hourly(), 0.07143);
    }
}

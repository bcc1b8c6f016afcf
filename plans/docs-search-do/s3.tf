# AWS part: a bucket for temporary files (uploads being indexed, exports), emptied after 7 days.
# Everything on AWS lives in this file.

variable "aws_region" {
  type        = string
  description = "AWS region of the bucket (infra's bundled price catalog covers us-east-1 and sa-east-1)"
  default     = "us-east-1"
}

variable "tmp_bucket_name" {
  type        = string
  description = "Globally unique name of the temporary-files bucket"
  default     = "docs-search-production-tmp"
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = var.name
      Environment = var.environment
      ManagedBy   = "infra"
    }
  }
}

resource "aws_s3_bucket" "tmp" {
  bucket = var.tmp_bucket_name
}

# Uploads are private: no ACL or bucket policy can make the bucket public.
resource "aws_s3_bucket_public_access_block" "tmp" {
  bucket = aws_s3_bucket.tmp.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "tmp" {
  bucket = aws_s3_bucket.tmp.id

  rule {
    id     = "expire-temporary-files"
    status = "Enabled"

    filter {}

    expiration {
      days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

output "tmp_bucket" {
  description = "Bucket for temporary files (objects expire after 7 days)"
  value       = aws_s3_bucket.tmp.bucket
}
